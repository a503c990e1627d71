//! Finding codes of the payload rules, with their explanations.

use crate::model::Code;

code!(
    PARSE,
    "payload.parse",
    "The body is not valid JSON (or not UTF-8)",
    "The API could not parse the body: it answers 400 'We could not parse the JSON body of your \
request'. The finding gives the line and column.\n\nFix: fix the syntax there; build the body \
with a JSON library instead of string concatenation.\n\nVerify: openai-doctor validate FILE passes."
);
code!(
    DUPLICATE_KEY,
    "payload.duplicate_key",
    "A key appears twice in one object",
    "JSON parsers keep one of two duplicate keys, silently, and not always the same one. The request \
then does something other than what one of the two lines says.\n\nFix: remove the duplicate."
);
code!(
    NOT_OBJECT,
    "payload.not_object",
    "The body is not a JSON object",
    "Request bodies are JSON objects ({\"model\": ..., ...}); an array, a string or a number is rejected."
);
code!(
    ENDPOINT_UNKNOWN,
    "payload.endpoint_unknown",
    "The endpoint cannot be told from the body",
    "The body has none of `messages` (Chat Completions), `input`/`instructions` (Responses, or \
Embeddings with an embedding model).\n\nFix: pass --endpoint chat|responses|embeddings."
);
code!(
    REQUIRED,
    "payload.required",
    "A required field is missing",
    "The API rejects the request with 400 'Missing required parameter'.\n\nFix: add the field."
);
code!(
    TYPE,
    "payload.type",
    "A field has the wrong type",
    "The API rejects the request with 400 'Invalid type for ...'. A common case: tool call \
`arguments` sent as an object; it must be a JSON-encoded string.\n\nFix: send the expected type."
);
code!(
    ENUM,
    "payload.enum",
    "A value is not one of the allowed values",
    "A role, a part type, a detail level or another enumerated field has a value the API does not \
know: 400 'Invalid value'.\n\nFix: use one of the listed values."
);
code!(
    RANGE,
    "payload.range",
    "A number or a length is out of range",
    "temperature 0-2, top_p 0-1, penalties -2..2, n 1-128, top_logprobs 0-20, at most 4 stop \
sequences, 128 tools, 16 metadata pairs (keys 64, values 512 characters), a non-empty messages \
array, max_output_tokens at least 16.\n\nFix: stay within the range."
);
code!(
    PATTERN,
    "payload.pattern",
    "A name does not match the allowed pattern",
    "Function names and message names may hold only a-z, A-Z, 0-9, _ and - (function names 1-64 \
characters).\n\nFix: rename."
);
code!(
    TOOL_PAIRING,
    "payload.tool_pairing",
    "Tool calls and tool messages do not pair up",
    "Every id in an assistant message's tool_calls must be answered by a role:\"tool\" message with \
that tool_call_id, right after it; a tool message must answer a preceding tool call. The API \
rejects the request otherwise (400). Typical cause: trimming the history and cutting a pair in \
half.\n\nFix: keep assistant tool_calls and their tool messages together when you trim or \
reorder history."
);
code!(
    JSON_WORD,
    "payload.json_word",
    "json_object without the word JSON in the messages",
    "With response_format (or text.format) json_object the API requires the word 'json' in the \
messages, because the model will not write JSON unless told to; it answers 400 otherwise.\n\n\
Fix: ask for JSON in a system or user message, or use json_schema with a schema."
);
code!(
    CONFLICT,
    "payload.conflict",
    "Parameters that do not go together",
    "max_tokens with max_completion_tokens, stream_options without stream, top_logprobs without \
logprobs, previous_response_id with conversation, dimensions with ada-002.\n\nFix: drop one."
);
code!(
    REASONING_PARAM,
    "payload.reasoning_param",
    "A parameter reasoning models reject",
    "Reasoning models (o1, o3, o4-mini, gpt-5) reject max_tokens (use max_completion_tokens), any \
temperature/top_p other than 1, penalties, logprobs, and (o3, o4-mini) stop.\n\nFix: drop the \
parameter for these models."
);
code!(
    LAST_ASSISTANT,
    "payload.last_assistant",
    "The last message is from the assistant",
    "The model continues from the last user turn. Ending with an assistant message usually means a \
user turn was dropped, and the model repeats itself or answers the wrong thing. Chat \
Completions does not support assistant prefill.\n\nFix: end with the user's message (or tool results)."
);
code!(
    CONTEXT_WINDOW,
    "payload.context_window",
    "The request does not fit the model's context window",
    "The prompt (counted with the model's tokenizer) plus the requested output exceeds the model's \
context window, or the output limit exceeds the model's maximum; over 90% is a warning. The \
API answers 400 'This model's maximum context length is N tokens'.\n\nFix: shorten the history, \
summarise, or use a model with a larger window."
);
code!(
    UNKNOWN_FIELD,
    "payload.unknown_field",
    "A field the endpoint does not know",
    "The API rejects unknown parameters with 400 'Unrecognized request argument supplied' \
(Embeddings always; others for misspellings like max_token).\n\nFix: remove it or fix its spelling."
);
code!(
    IMAGE,
    "payload.image",
    "An image part the API rejects or that slows the request",
    "Image parts need image_url.url as an https URL or a data: URL, detail auto|low|high; inline \
images are limited to 20 MB, and large base64 images make bodies slow to send and parse.\n\n\
Fix: pass a URL, or downscale and compress."
);
code!(
    TOOLS,
    "payload.tools",
    "A problem with tools or tool_choice",
    "Duplicate function names, tool_choice naming an unknown function, tool_choice or \
parallel_tool_calls without tools.\n\nFix: as the finding says."
);
code!(
    EMBEDDINGS_INPUT,
    "payload.embeddings_input",
    "An embeddings input the API rejects",
    "Embeddings take 1 to 2048 non-empty inputs per request, each within the model's 8,192-token \
limit, 300,000 tokens in all.\n\nFix: drop empty inputs; split batches."
);

/// Every payload code.
pub static ALL: &[&Code] = &[
    &PARSE,
    &DUPLICATE_KEY,
    &NOT_OBJECT,
    &ENDPOINT_UNKNOWN,
    &REQUIRED,
    &TYPE,
    &ENUM,
    &RANGE,
    &PATTERN,
    &TOOL_PAIRING,
    &JSON_WORD,
    &CONFLICT,
    &REASONING_PARAM,
    &LAST_ASSISTANT,
    &CONTEXT_WINDOW,
    &UNKNOWN_FIELD,
    &IMAGE,
    &TOOLS,
    &EMBEDDINGS_INPUT,
];

/// The code for `id` (every id the rules emit is here; a test enforces it).
#[must_use]
pub fn find(id: &str) -> &'static Code {
    ALL.iter().copied().find(|c| c.id == id).unwrap_or(&PARSE)
}
