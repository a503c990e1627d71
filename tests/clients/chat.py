"""A client as most people write one: the official SDK with its defaults (max_retries=2),
one chat completion. simulate sets OPENAI_BASE_URL (and SSL_CERT_FILE under --tls)."""
from openai import OpenAI

client = OpenAI()
reply = client.chat.completions.create(model="gpt-4.1-nano", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
