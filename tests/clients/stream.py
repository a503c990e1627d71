"""A streaming client as most people write one: the official SDK with its defaults, one chat
completion with stream=True, the text printed as it comes. What it raises is printed on stderr as
`RAISED <module>.<class>: <message>` (exit 1), so a test records it. OPENAI_TIMEOUT (seconds), when
set, is the client's timeout (read timeout between chunks included). simulate sets
OPENAI_BASE_URL."""
import os
import sys

from openai import OpenAI

timeout = os.environ.get("OPENAI_TIMEOUT")
client = OpenAI(timeout=float(timeout)) if timeout else OpenAI()
parts = []
try:
    stream = client.chat.completions.create(
        model="gpt-4.1-nano", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
except Exception as e:  # noqa: BLE001 - the point is to record whatever it is
    chain = []
    cur = e
    while cur is not None and len(chain) < 4:
        chain.append(f"{type(cur).__module__}.{type(cur).__name__}: {cur}")
        cur = cur.__cause__ or cur.__context__
    print("RAISED " + " <- ".join(chain), file=sys.stderr)
    print("PARTIAL " + "".join(parts), file=sys.stderr)
    sys.exit(1)
print("".join(parts))
