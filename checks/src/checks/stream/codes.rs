//! Finding codes of the `stream` check, with their explanations. The causes named here are the
//! ones public reports show: nginx buffers proxied responses by default, event streams included
//! (nginx/nginx#1505: "with defaults `proxy_buffering on`, no `X-Accel-Buffering` header";
//! owncloud/core#9924); compression middleware holds events until its window fills
//! (tower-rs/tower-http#419, Kludex/starlette#2753: "buffered 32KiB at a time"); a stream cut
//! short surfaces in openai-python as `httpx.RemoteProtocolError: peer closed connection without
//! sending complete message body (incomplete chunked read)` (openai/openai-python#2065, #2356);
//! AWS load balancers close connections idle for 60 s by default (AWS's docs, quoted in
//! conbench/conbench#1158).

code!(
    BUFFERED,
    "stream.buffered",
    "The event stream was held back and delivered all at once at the end",
    "A streaming request (stream=true) answered, but its events arrived together after a silence \
instead of one by one: something between the client and the API buffers the response. Users see \
nothing, then the whole answer; a gateway's timeout may fire during the silence. The usual \
culprits: nginx as a reverse proxy (proxy_buffering is on by default), an API gateway that \
buffers responses, a corporate proxy that inspects TLS, a compression layer that waits for a \
full window.\n\nFix: nginx: `proxy_buffering off;` in the location that proxies to the API (or \
have the upstream send `X-Accel-Buffering: no`), and no gzip for text/event-stream; a gateway: \
turn on its response streaming (Azure API Management: forward-request buffer-response=\"false\"); \
a TLS-inspecting proxy: exempt the API host; compression: exclude text/event-stream or flush per \
event.\n\nVerify: the stream check passes; the first event arrives well before the last."
);
code!(
    CUT,
    "stream.cut",
    "The event stream ended before its terminating event",
    "The stream stopped without `data: [DONE]` (chat) or `response.completed` (Responses): the \
answer is truncated. openai-python raises httpx.RemoteProtocolError ('peer closed connection \
without sending complete message body (incomplete chunked read)') when the connection closes \
mid-body, and does not retry a stream that already started. Causes: an idle timeout on the path \
(AWS ALB 60 s by default, nginx proxy_read_timeout 60 s, Cloudflare about 100 s), a proxy or \
firewall resetting long connections, a gateway with a response time limit.\n\nFix: raise the \
idle timeout of the layer that cut (the ALB's idle_timeout, nginx proxy_read_timeout, the \
gateway's limit) above the longest silence of your streams; catch the error and retry the whole \
request.\n\nVerify: the stream check passes."
);
code!(
    STALLED,
    "stream.stalled",
    "The event stream stopped sending and never ended",
    "The stream started, then no byte came for the rest of the doctor's time, without an end: a \
layer on the path holds the connection open but passes nothing (a stalled proxy, a gateway \
waiting for the whole body). The SDKs wait for their read timeout (600 s by default) between \
chunks before they give up.\n\nFix: find the layer named in the message; give your client a read \
timeout between chunks that fits your users (httpx.Timeout(read=…), Node's timeout).\n\nVerify: \
the stream check passes."
);
code!(
    COMPRESSED,
    "stream.compressed",
    "The event stream came compressed (Content-Encoding)",
    "The event stream arrived with a Content-Encoding (gzip, deflate, br): a layer on the path \
compresses it. Compression of an event stream only works when the compressor flushes after each \
event; most hold events until their window fills, which delays or buffers the answer.\n\nFix: \
exclude text/event-stream from compression in the proxy or middleware that adds it (nginx: \
gzip_types without text/event-stream; Express compression: a filter; Starlette's GZipMiddleware: \
not on streaming routes).\n\nVerify: the stream check shows no Content-Encoding, or events that \
arrive one by one."
);
code!(
    NOT_EVENT_STREAM,
    "stream.not_event_stream",
    "A streaming request was not answered with an event stream",
    "The request asked for stream=true and the answer's Content-Type is not text/event-stream: a \
layer on the path rewrote the answer, or the base URL points at a server that does not stream. \
The SDKs then fail to parse the stream.\n\nFix: point the client at an endpoint that streams, or \
let the layer pass event streams unchanged.\n\nVerify: the stream check passes."
);
code!(
    REFUSED,
    "stream.refused",
    "The streaming request failed where the plain one passed",
    "The probe's plain chat completion passed, but the same request with stream=true failed (an \
error status, or no answer): a gateway or proxy that treats streams differently, or a key or \
project limit on streaming.\n\nFix: see the status and message quoted; allow streaming requests \
through the layer that refused them.\n\nVerify: the stream check passes."
);
code!(
    ERROR_EVENT,
    "stream.error_event",
    "The API sent an error inside the stream",
    "The stream carried an error object mid-answer (the API failed after it started answering). \
The SDKs raise an APIError while iterating.\n\nFix: retry the request; if it persists, contact \
support with the request id.\n\nVerify: the stream check passes."
);
code!(
    CONTENT_FILTER,
    "stream.content_filter",
    "The provider's content filter stopped the streamed output",
    "The stream ended with finish_reason \"content_filter\": the output was cut by a content \
filter, not by the network. Azure OpenAI applies the content filter configuration assigned to \
the deployment and names the categories that fired in content_filter_results; OpenAI's API stops \
the output the same way. The SDKs do not raise: an app that reads only the text takes the cut \
answer for a whole one.\n\nFix: Azure OpenAI: the resource's owner reviews the content filter \
configuration of the deployment (Azure AI Foundry → Guardrails & controls → Content filters); \
either provider: change the prompt, and treat finish_reason content_filter as an incomplete \
answer in the app. Retrying the same prompt ends the same way.\n\nVerify: the stream check \
passes without this finding."
);
code!(
    SLOW_FIRST_TOKEN,
    "stream.slow_first_token",
    "The first output token came late, while the path delivered bytes promptly",
    "The answer's head came quickly but its first output text came much later: the model's time \
(queueing, reasoning), not the network's. Events that do arrive come one by one, so nothing on \
the path buffers.\n\nFix: nothing on the network; pick a faster model or less reasoning, and give \
the client a read timeout between chunks above this wait.\n\nVerify: compare with the stream \
check's first-token time on another model."
);
code!(
    NOT_RUN,
    "stream.not_run",
    "The stream check could not send its request",
    "No streaming request was sent: too little of the run's deadline was left, or no usable key.\n\n\
Fix: run again with a longer --deadline.\n\nVerify: the stream check reports its timings."
);
