//! Table-driven tests of every rule: valid bodies of each endpoint give no error (false positives
//! cost trust faster than misses), and each invalid body gives the expected code at the expected
//! path. Property tests: the validator never panics, on any JSON or any bytes.

use serde_json::{Value, json};

use super::*;
use crate::request::Endpoint;

fn problems(body: &Value) -> Vec<(String, &'static str, Level)> {
    validate(body.to_string().as_bytes(), None).problems.into_iter().map(|p| (p.path, p.code, p.level)).collect()
}

fn errors(body: &Value) -> Vec<(String, &'static str)> {
    problems(body).into_iter().filter(|p| p.2 == Level::Error).map(|p| (p.0, p.1)).collect()
}

fn valid_bodies() -> Vec<Value> {
    vec![
        json!({"model": "gpt-4o", "messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hello"}]}),
        json!({"model": "gpt-4.1-nano", "messages": [{"role": "developer", "content": [{"type": "text", "text": "Answer in JSON."}]}, {"role": "user", "content": [
            {"type": "text", "text": "What is in this image?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}}
        ]}], "response_format": {"type": "json_object"}, "temperature": 0.2, "top_p": 0.9, "max_completion_tokens": 100, "stop": ["\n\n"], "seed": 7,
            "logprobs": true, "top_logprobs": 3, "logit_bias": {"1234": -100}, "metadata": {"team": "search"}, "n": 2, "stream": true, "stream_options": {"include_usage": true}}),
        json!({"model": "gpt-4o", "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C, clear"},
            {"role": "assistant", "content": "It is 18C and clear."},
            {"role": "user", "content": "Thanks"}
        ], "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
           "tool_choice": {"type": "function", "function": {"name": "get_weather"}}, "parallel_tool_calls": false}),
        json!({"model": "o4-mini", "messages": [{"role": "user", "content": "Prove it."}], "max_completion_tokens": 2000, "reasoning_effort": "high"}),
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}], "modalities": ["text"]}),
        json!({"model": "gpt-4.1", "input": "Write a haiku."}),
        json!({"model": "gpt-5", "instructions": "Be brief.", "input": [{"role": "user", "content": [{"type": "input_text", "text": "Return JSON please"}]}],
               "text": {"format": {"type": "json_object"}}, "max_output_tokens": 500, "reasoning": {"effort": "low"}}),
        json!({"model": "gpt-4.1", "previous_response_id": "resp_1", "input": [{"type": "function_call_output", "call_id": "call_1", "output": "42"}]}),
        json!({"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 256, "encoding_format": "float"}),
        json!({"model": "text-embedding-ada-002", "input": "hello"}),
        json!({"model": "text-embedding-3-large", "input": [[1, 2, 3]]}),
    ]
}

#[test]
fn valid_bodies_have_no_errors_and_no_warnings() {
    for body in valid_bodies() {
        assert_eq!(problems(&body), vec![], "{body}");
    }
}

#[test]
fn endpoints_are_detected() {
    let kinds: Vec<Option<Endpoint>> =
        valid_bodies().iter().map(|b| validate(b.to_string().as_bytes(), None).endpoint).collect();
    use Endpoint::{Chat as C, Embeddings as E, Responses as R};
    assert_eq!(
        kinds,
        [Some(C), Some(C), Some(C), Some(C), Some(C), Some(R), Some(R), Some(R), Some(E), Some(E), Some(E)]
    );
}

#[test]
fn each_rule_fires_where_it_should() {
    let user = json!({"role": "user", "content": "hi"});
    let table: Vec<(Value, &str, &str)> = vec![
        (json!({"messages": [user]}), "/", "payload.required"),
        (json!({"model": "gpt-4o", "messages": []}), "/messages", "payload.range"),
        (json!({"model": "gpt-4o", "messages": [{"role": "bot", "content": "x"}]}), "/messages/0/role", "payload.enum"),
        (json!({"model": "gpt-4o", "messages": [{"role": "user"}]}), "/messages/0", "payload.required"),
        (
            json!({"model": "gpt-4o", "messages": [{"role": "user", "content": 5}]}),
            "/messages/0/content",
            "payload.type",
        ),
        (
            json!({"model": "gpt-4o", "messages": [{"role": "user", "name": "Jane Doe", "content": "x"}]}),
            "/messages/0/name",
            "payload.pattern",
        ),
        (
            json!({"model": "gpt-4o", "messages": [{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]}),
            "/messages/0/content/0/type",
            "payload.enum",
        ),
        (
            json!({"model": "gpt-4o", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"detail": "low"}}]}]}),
            "/messages/0/content/0/image_url",
            "payload.required",
        ),
        (
            json!({"model": "gpt-4o", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "max"}}]}]}),
            "/messages/0/content/0/image_url/detail",
            "payload.enum",
        ),
        (
            json!({"model": "gpt-4o", "messages": [user, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, user]}),
            "/messages/1/tool_calls",
            "payload.tool_pairing",
        ),
        (
            json!({"model": "gpt-4o", "messages": [user, {"role": "tool", "tool_call_id": "c9", "content": "x"}]}),
            "/messages/1/tool_call_id",
            "payload.tool_pairing",
        ),
        (
            json!({"model": "gpt-4o", "messages": [user, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]}, {"role": "tool", "tool_call_id": "c1", "content": "x"}]}),
            "/messages/1/tool_calls/0/function/arguments",
            "payload.type",
        ),
        (
            json!({"model": "gpt-4o", "messages": [user], "response_format": {"type": "json_object"}}),
            "/response_format/type",
            "payload.json_word",
        ),
        (
            json!({"model": "gpt-4o", "messages": [user], "response_format": {"type": "json_object"}, "tools": [{"type": "function", "function": {"name": "to_json"}}]}),
            "/response_format/type",
            "payload.json_word",
        ),
        (json!({"model": "gpt-4o", "messages": [user], "temperature": 2.5}), "/temperature", "payload.range"),
        (json!({"model": "gpt-4o", "messages": [user], "top_p": -0.1}), "/top_p", "payload.range"),
        (json!({"model": "gpt-4o", "messages": [user], "presence_penalty": 3}), "/presence_penalty", "payload.range"),
        (json!({"model": "gpt-4o", "messages": [user], "n": 0}), "/n", "payload.range"),
        (json!({"model": "gpt-4o", "messages": [user], "top_logprobs": 5}), "/top_logprobs", "payload.conflict"),
        (
            json!({"model": "gpt-4o", "messages": [user], "logprobs": true, "top_logprobs": 21}),
            "/top_logprobs",
            "payload.range",
        ),
        (
            json!({"model": "gpt-4o", "messages": [user], "logit_bias": {"50256": -101}}),
            "/logit_bias/50256",
            "payload.range",
        ),
        (
            json!({"model": "gpt-4o", "messages": [user], "logit_bias": {"hello": 1}}),
            "/logit_bias/hello",
            "payload.type",
        ),
        (json!({"model": "gpt-4o", "messages": [user], "stop": ["a", "b", "c", "d", "e"]}), "/stop", "payload.range"),
        (
            json!({"model": "gpt-4o", "messages": [user], "stream_options": {"include_usage": true}}),
            "/stream_options",
            "payload.conflict",
        ),
        (json!({"model": "gpt-4o", "messages": [user], "metadata": {"k": 1}}), "/metadata/k", "payload.type"),
        (
            json!({"model": "gpt-4o", "messages": [user], "tools": [{"type": "function", "function": {"name": "get weather"}}]}),
            "/tools/0/function/name",
            "payload.pattern",
        ),
        (
            json!({"model": "gpt-4o", "messages": [user], "tools": [{"type": "function", "function": {"name": "f"}}, {"type": "function", "function": {"name": "f"}}]}),
            "/tools/1/function/name",
            "payload.tools",
        ),
        (json!({"model": "gpt-4o", "messages": [user], "tool_choice": "auto"}), "/tool_choice", "payload.tools"),
        (
            json!({"model": "gpt-4o", "messages": [user], "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function", "function": {"name": "g"}}}),
            "/tool_choice/function/name",
            "payload.tools",
        ),
        (json!({"model": "o3", "messages": [user], "max_tokens": 100}), "/max_tokens", "payload.reasoning_param"),
        (
            json!({"model": "gpt-5-mini", "messages": [user], "temperature": 0.2}),
            "/temperature",
            "payload.reasoning_param",
        ),
        (json!({"model": "o4-mini", "messages": [user], "stop": "x"}), "/stop", "payload.reasoning_param"),
        (
            json!({"model": "gpt-4o", "messages": [user], "max_completion_tokens": 20000}),
            "/max_completion_tokens",
            "payload.context_window",
        ),
        (json!({"model": "gpt-4.1", "input": "x", "max_output_tokens": 8}), "/max_output_tokens", "payload.range"),
        (
            json!({"model": "gpt-4.1", "input": "x", "previous_response_id": "r", "conversation": "c"}),
            "/conversation",
            "payload.conflict",
        ),
        (
            json!({"model": "gpt-4.1", "instructions": "Reply in JSON", "input": "hello", "text": {"format": {"type": "json_object"}}}),
            "/text/format/type",
            "payload.json_word",
        ),
        (json!({"model": "text-embedding-3-small", "input": ""}), "/input", "payload.embeddings_input"),
        (json!({"model": "text-embedding-3-small", "input": ["ok", ""]}), "/input/1", "payload.embeddings_input"),
        (
            json!({"model": "text-embedding-3-small", "input": "x", "temperature": 1}),
            "/temperature",
            "payload.unknown_field",
        ),
        (
            json!({"model": "text-embedding-ada-002", "input": "x", "dimensions": 256}),
            "/dimensions",
            "payload.conflict",
        ),
        (json!({"model": "text-embedding-3-small", "input": vec!["x"; 2049]}), "/input", "payload.embeddings_input"),
        (json!({"temperature": 1}), "/", "payload.endpoint_unknown"),
    ];
    for (body, path, code) in table {
        let errs = errors(&body);
        assert!(
            errs.iter().any(|(p, c)| p == path && *c == code),
            "expected {code} at {path} for {body}; got {errs:?}"
        );
    }
}

#[test]
fn warnings_do_not_count_as_errors() {
    let user = json!({"role": "user", "content": "hi"});
    for (body, path, code) in [
        (
            json!({"model": "gpt-4o", "messages": [user, {"role": "assistant", "content": "Sure"}]}),
            "/messages/1",
            "payload.last_assistant",
        ),
        (json!({"model": "gpt-4o", "messages": [user], "max_token": 10}), "/max_token", "payload.unknown_field"),
    ] {
        let p = problems(&body);
        assert!(errors(&body).is_empty(), "{body}: {p:?}");
        assert!(p.iter().any(|(pp, c, l)| pp == path && *c == code && *l == Level::Warning), "{body}: {p:?}");
    }
}

#[test]
fn syntax_duplicates_and_shapes() {
    let r = validate(b"{\"model\": \"gpt-4o\",\n\"messages\": [}", None);
    assert_eq!(r.problems[0].code, "payload.parse");
    assert!(r.problems[0].message.contains("line 2, column 14"), "{}", r.problems[0].message);
    let r =
        validate(br#"{"model": "gpt-4o", "model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}"#, None);
    assert_eq!((r.problems[0].code, r.problems[0].path.as_str()), ("payload.duplicate_key", "/"));
    assert_eq!(validate(b"[1, 2]", None).problems[0].code, "payload.not_object");
    assert_eq!(validate(b"", None).problems[0].code, "payload.parse");
}

#[cfg(feature = "tokens")]
#[test]
fn tokens_are_counted_against_the_window() {
    let text = "word ".repeat(140_000);
    let r = validate(
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}).to_string().as_bytes(),
        None,
    );
    assert!(r.tokens.unwrap() > 128_000, "{:?}", r.tokens);
    assert_eq!(r.context, Some(128_000));
    assert!(
        r.problems.iter().any(|p| p.code == "payload.context_window" && p.level == Level::Error),
        "{:?}",
        r.problems
    );
    let near = "word ".repeat(118_000);
    let r = validate(
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": near}]}).to_string().as_bytes(),
        None,
    );
    assert!(
        r.problems.iter().any(|p| p.code == "payload.context_window" && p.level == Level::Warning),
        "{:?} {:?}",
        r.tokens,
        r.problems
    );
    let r = validate(
        json!({"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hello, world!"}]}).to_string().as_bytes(),
        None,
    );
    assert_eq!(r.tokens, Some(4 + 3 + 3), "4 text tokens + 3 per message + 3 to prime the reply");
}

#[test]
fn api_texts_name_the_parameter_like_the_api() {
    assert_eq!(rules::common::api_param("/messages/1/role"), "messages[1].role");
    assert_eq!(rules::common::api_param("/tools/0/function/name"), "tools[0].function.name");
    let r = validate(
        json!({"model": "gpt-4o", "messages": [{"role": "bot", "content": "x"}]}).to_string().as_bytes(),
        None,
    );
    assert!(r.problems[0].api_message.as_deref().unwrap().starts_with("Invalid value: 'bot'."));
}

#[test]
fn every_emitted_code_is_in_the_catalogue() {
    let bodies = [json!({"model": "gpt-4o", "messages": [{"role": "x"}]}), json!([]), json!({"input": 5})];
    for b in bodies {
        for p in validate(b.to_string().as_bytes(), None).problems {
            assert_eq!(codes::find(p.code).id, p.code);
        }
    }
}

mod props {
    use super::super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            prop_oneof![
                Just("user".to_owned()),
                Just("assistant".to_owned()),
                Just("tool".to_owned()),
                Just("json".to_owned()),
                "\\PC{0,12}"
            ]
            .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            let keys = prop_oneof![
                Just("model".to_owned()),
                Just("messages".to_owned()),
                Just("role".to_owned()),
                Just("content".to_owned()),
                Just("tool_calls".to_owned()),
                Just("tools".to_owned()),
                Just("input".to_owned()),
                Just("type".to_owned()),
                Just("function".to_owned()),
                Just("id".to_owned()),
                Just("tool_call_id".to_owned()),
                Just("image_url".to_owned()),
                Just("url".to_owned()),
                Just("response_format".to_owned()),
                "[a-z_]{1,8}",
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(keys, inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect()))
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::fuzz::cases(3000)))]

        #[test]
        fn never_panics_on_any_json(v in json_value(), model in prop_oneof![Just("gpt-4o"), Just("o3"), Just("text-embedding-3-small"), Just("x")]) {
            let mut v = v;
            if let Value::Object(m) = &mut v { m.insert("model".into(), Value::String(model.into())); }
            let r = validate(v.to_string().as_bytes(), None);
            for p in &r.problems { prop_assert!(p.path.starts_with('/')); }
        }

        #[test]
        fn never_panics_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = validate(&bytes, None);
        }
    }
}

#[test]
fn max_tokens_with_max_completion_tokens_is_an_error_with_the_apis_words() {
    let body = json!({"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10, "max_completion_tokens": 10});
    let report = validate(body.to_string().as_bytes(), None);
    let p = report.problems.iter().find(|p| p.path == "/max_tokens").expect("a problem at /max_tokens");
    assert_eq!((p.level, p.code), (Level::Error, "payload.conflict"));
    assert!(p.api_message.as_deref().unwrap().contains("at the same time is not supported"));
}
