"""The official Python client against the loopback world: models.list() and one chat completion
(what `scripts/bench` compares openai-doctor's whole healthy run with)."""
import sys

import openai

base_url = sys.argv[1]
client = openai.OpenAI(api_key="sk-proj-" + "x" * 48, base_url=base_url, max_retries=0)
client.models.list()
client.chat.completions.create(model="gpt-4.1-nano", messages=[{"role": "user", "content": "Reply with OK."}], max_completion_tokens=1)
