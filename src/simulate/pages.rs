//! The pages `simulate` serves for answers that do not come from the API (issue 23): Cloudflare's
//! 52x page and its firewall block page in front of the API, and a corporate proxy's block page,
//! so clients (and their retry logic) can be tested against HTML where they expect JSON. The
//! markup is that of real answers quoted in public reports (`tests/fixtures/answers/`: each
//! constant names its file); where a report cut the page, the page is closed after the last
//! quoted line and nothing is added but the closing tags.

/// One page: status, headers, HTML body.
pub struct Page {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// Cloudflare's words for each 52x code (its pages' titles).
pub fn edge_words(code: u16) -> Option<&'static str> {
    Some(match code {
        520 => "Web server is returning an unknown error",
        521 => "Web server is down",
        522 => "Connection timed out",
        523 => "Origin is unreachable",
        524 => "A timeout occurred",
        525 => "SSL handshake failed",
        526 => "Invalid SSL certificate",
        _ => return None,
    })
}

/// The head of Cloudflare's 5xx page, as quoted in `cloudflare/522_gateway_helicone.http`
/// (Helicone/helicone#798), with the title's host, code and words as parameters.
const EDGE_HEAD: &str = r#"<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<!--[if IE 7]>    <html class="no-js ie7 oldie" lang="en-US"> <![endif]-->
<!--[if IE 8]>    <html class="no-js ie8 oldie" lang="en-US"> <![endif]-->
<!--[if gt IE 8]><!--> <html class="no-js" lang="en-US"> <!--<![endif]-->
<head>


<title>{host} | {code}: {words}</title>
<meta charset="UTF-8" />
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta http-equiv="X-UA-Compatible" content="IE=Edge" />
<meta name="robots" content="noindex, nofollow" />
<meta name="viewport" content="width=device-width,initial-scale=1" />
<link rel="stylesheet" id="cf_styles-css" href="/cdn-cgi/styles/main.css" />


</head>
<body>
<div id="cf-wrapper">
    <div id="cf-error-details" class="p-0">
        <header class="mx-auto pt-10 lg:pt-6 lg:px-8 w-240 lg:w-full mb-8">
            <h1 class="inline-block sm:block sm:mb-2 font-light text-60 lg:text-4xl text-black-dark leading-tight mr-2">
              <span class="inline-block">{words}</span>
              <span class="code-label">Error code {code}</span>
            </h1>
"#;

/// The lines after the heading, as quoted in `cloudflare/520_api_openai_com.http`
/// (BerriAI/litellm#796), with the code and host as parameters.
const EDGE_TAIL: &str = r#"            <div>
               Visit <a href="https://www.cloudflare.com/5xx-error-landing?utm_source=errorcode_{code}&utm_campaign={host}" target="_blank" rel="noopener noreferrer">cloudflare.com</a> for more information.
            </div>
        </header>
    </div>
</div>
</body>
</html>
"#;

/// Cloudflare's 52x page in front of `host`, with `server: cloudflare` and a `cf-ray`.
pub fn edge(code: u16, host: &str) -> Page {
    let words = edge_words(code).unwrap_or("Error");
    let fill = |t: &str| t.replace("{host}", host).replace("{code}", &code.to_string()).replace("{words}", words);
    let body = format!("{}{}", fill(EDGE_HEAD), fill(EDGE_TAIL));
    Page { status: code, headers: edge_headers(), body }
}

/// Cloudflare's firewall block page, as quoted in
/// `cloudflare/blocked_403_attention_required_api_openai_com.http`
/// (AlizerUncaged/desktop-waifu#261), cut there after the heading; `{host}` is the API host.
const BLOCKED: &str = r#"<!DOCTYPE html>

 <html class="no-js" lang="en-US">
<head>
<title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" />
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta http-equiv="X-UA-Compatible" content="IE=Edge" />
<meta name="robots" content="noindex, nofollow" />
<meta name="viewport" content="width=device-width,initial-scale=1" />
<link rel="stylesheet" id="cf_styles-css" href="/cdn-cgi/styles/cf.errors.css" />
</head>
<body>
  <div id="cf-wrapper">
    <div id="cf-error-details" class="cf-error-details-wrapper">
      <div class="cf-wrapper cf-header cf-error-overview">
        <h1 data-translate="block_headline">Sorry, you have been blocked</h1>
        <h2 class="cf-subheadline"><span data-translate="unable_to_access">You are unable to access</span> {host}</h2>
      </div>
    </div>
  </div>
</body>
</html>
"#;

/// Cloudflare's 403 firewall block in front of `host`.
pub fn edge_blocked(host: &str) -> Page {
    Page { status: 403, headers: edge_headers(), body: BLOCKED.replace("{host}", host) }
}

fn edge_headers() -> Vec<(&'static str, String)> {
    vec![("server", "cloudflare".to_owned()), ("cf-ray", format!("{:016x}-SIM", fastrand::u64(..)))]
}

/// A Squid proxy's access-denied answer: the headers as quoted in
/// `proxy/squid_err_access_denied_403_headers.http` (nomic-ai/gpt4all#1847), the page's text as
/// quoted in `proxy/squid_err_access_denied_403_2013.http` (mozilla/identity-ops#34, where the
/// reporter elided the URL with "…") and its last lines as quoted in the first.
const SQUID_PAGE: &str = "<html><body>
<p>The requested URL could not be retrieved.</p>
<p>The following error was encountered while trying to retrieve the URL: ... Access Denied.</p>
<p>Access control configuration prevents your request from being allowed at this time. Please contact your service provider if you feel this is incorrect.</p>
<!-- ERR_ACCESS_DENIED -->
</div>
</body></html>
";

/// A corporate proxy's block page (Squid's `ERR_ACCESS_DENIED`).
pub fn proxy_block() -> Page {
    Page {
        status: 403,
        headers: vec![
            ("server", "squid/5.2".to_owned()),
            ("mime-version", "1.0".to_owned()),
            ("x-squid-error", "ERR_ACCESS_DENIED 0".to_owned()),
            ("vary", "Accept-Language".to_owned()),
            ("content-language", "en".to_owned()),
            ("x-cache", "MISS from proxy".to_owned()),
            ("x-cache-lookup", "NONE from proxy:3128".to_owned()),
            ("via", "1.1 proxy (squid/5.2)".to_owned()),
        ],
        body: SQUID_PAGE.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_52x_has_its_words_and_names_the_host() {
        for code in 520..=526 {
            let p = edge(code, "api.openai.com");
            assert_eq!(p.status, code);
            let title = format!("<title>api.openai.com | {code}: {}</title>", edge_words(code).unwrap());
            assert!(p.body.contains(&title), "{code}");
            assert!(p.body.contains(&format!("errorcode_{code}&utm_campaign=api.openai.com")), "{code}");
            assert!(p.headers.iter().any(|(k, v)| *k == "server" && v == "cloudflare"));
        }
        assert!(edge_words(527).is_none());
    }

    #[test]
    fn block_pages_carry_their_markers() {
        assert!(edge_blocked("api.openai.com").body.contains("Sorry, you have been blocked"));
        let squid = proxy_block();
        assert_eq!(squid.status, 403);
        assert!(squid.headers.iter().any(|(k, v)| *k == "x-squid-error" && v.starts_with("ERR_ACCESS_DENIED")));
        assert!(squid.body.contains("<!-- ERR_ACCESS_DENIED -->"));
    }
}
