//! Whether an Azure OpenAI resource the app calls through its deployments API also serves the v1
//! API (`/openai/v1/`, where no api-version has to be kept current as versions retire): one
//! free `GET {endpoint}/openai/v1/models` with the app's credential, said as information when it
//! answers 200, and never a failure (a resource without it keeps working as it is).

use std::time::Duration;

use reqwest::Method;

use super::codes::AZURE_V1;
use crate::engine::check::{Activity, Context};
use crate::model::{Finding, Severity};
use crate::provider::AzureStyle;
use crate::secret::SecretString;

/// The request's own time limit: it is an offer, not a measurement.
const LIMIT: Duration = Duration::from_secs(3);

/// The finding when the resource serves the v1 API; `None` when it does not, when the app does
/// not use the deployments API, or when time is short.
pub(super) async fn offer(ctx: &Context, activity: &Activity, key: &SecretString, number: u32) -> Option<Finding> {
    let cfg = &ctx.config;
    let azure = cfg.provider.azure().filter(|a| a.style == AzureStyle::Deployments)?;
    if activity.time_left() < LIMIT + Duration::from_secs(1) {
        return None;
    }
    let mut url = azure.endpoint.clone();
    let base = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base}/openai/v1/models"));
    activity.set(format!("GET {url} (does the resource serve the v1 API?)"));
    let req = crate::net::authed::request_to(&ctx.net, cfg, key, Method::GET, url.clone(), number, 0);
    let meta = req.meta();
    let answered = ctx.net.send(super::INFO.id, req.builder, 64 * 1024, LIMIT, meta).await.ok()?;
    (answered.status == 200).then(|| {
        Finding::new(
            &AZURE_V1,
            Severity::Info,
            format!("this resource also serves Azure's v1 API (GET {url} answered 200)"),
            format!(
                "Optional: the OpenAI client with base_url {base}/openai/v1/ and the deployment as model= needs no api-version to keep current as versions retire.",
                base = azure.endpoint.as_str().trim_end_matches('/')
            ),
        )
    })
}
