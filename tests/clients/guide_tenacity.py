"""The troubleshooting guide's retry example, run as written: a tenacity decorator that retries
on `openai.APIErrors.InternalServerError`. The SDK has no such module (its classes are
openai.InternalServerError, openai.APITimeoutError, openai.APIConnectionError,
openai.RateLimitError), so the decorator raises AttributeError at import: no request is ever
sent, and nothing is ever retried."""
import openai
from openai import OpenAI
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

client = OpenAI()


@retry(
    wait=wait_random_exponential(min=1, max=60),
    stop=stop_after_attempt(6),
    retry=retry_if_exception_type(openai.APIErrors.InternalServerError),
)
def completion_with_backoff(**kwargs):
    return client.chat.completions.create(**kwargs)


print(completion_with_backoff(model="gpt-4.1-nano", messages=[{"role": "user", "content": "hi"}]))
