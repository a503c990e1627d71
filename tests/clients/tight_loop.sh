#!/bin/sh
# A retry loop without a pause: three curls back to back until one succeeds.
for attempt in 1 2 3; do
  if curl -sf -o /dev/null -H 'Content-Type: application/json' -d '{"model":"gpt-4.1-nano","messages":[]}' "$OPENAI_BASE_URL/chat/completions"; then
    exit 0
  fi
done
exit 1
