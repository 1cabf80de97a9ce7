//! The OpenAPI 3.1 document for `GET /api/openapi.json`, built in one place
//! next to the routes it describes. The integration tests check that every
//! route the router serves is listed here. The report itself is described
//! in prose in `docs/report-schema.md`; here it is an open object.

use axum::Json;
use serde_json::{json, Value};

/// Every `(method, path)` the API serves, as listed in the document.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("post", "/api/analyze"),
    ("get", "/api/dkim-key"),
    ("post", "/api/reputation"),
    ("post", "/api/audits"),
    ("get", "/api/audits/{id}"),
    ("get", "/api/audits/{id}/events"),
    ("post", "/api/reports"),
    ("get", "/api/reports/{id}"),
    ("delete", "/api/reports/{id}"),
    ("post", "/api/test-addresses"),
    ("get", "/api/test-addresses/{id}"),
    ("get", "/api/test-addresses/{id}/events"),
    ("get", "/api/openapi.json"),
];

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn json_body(schema: &str) -> Value {
    json!({
        "required": true,
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
    })
}

fn json_response(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
    })
}

fn id_param() -> Value {
    json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}])
}

/// The document.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "mxlens",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "E-mail deliverability checker. Errors are JSON {code, message}."
        },
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "deleteToken": {"type": "http", "scheme": "bearer", "description": "the delete_token returned at creation"}
            },
            "schemas": schemas()
        }
    })
}

fn paths() -> Value {
    let too_large = error_response("body over 1 MiB (`too_large`)");
    let limited = json!({
        "description": "rate limited (`rate_limited`)",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    });
    // Every CPU busy and the analysis queue (`--cpu-queue`) full.
    let cpu_busy = json!({
        "description": "every CPU is busy and the queue of analyses waiting for one is full (`busy`); retry after Retry-After",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    });
    json!({
        "/healthz": {"get": {
            "summary": "200 when the store is reachable",
            "responses": {
                "200": {"description": "ok", "content": {"text/plain": {"schema": {"type": "string"}}}},
                "503": {"description": "store unreachable", "content": {"text/plain": {"schema": {"type": "string"}}}}
            }
        }},
        "/api/analyze": {"post": {
            "summary": "Analyse raw headers or a message; returns the report without storing it",
            "requestBody": json_body("AnalyzeRequest"),
            "responses": {
                "200": json_response("the message report", "Report"),
                "400": error_response("bad JSON or empty input"),
                "413": too_large.clone(),
                "429": limited.clone(),
                "503": cpu_busy.clone()
            }
        }},
        "/api/dkim-key": {"get": {
            "summary": "The DKIM key record at selector._domainkey.domain, parsed, for verifying signatures in the browser (RFC 6376 §3.6.2)",
            "parameters": [
                {"name": "domain", "in": "query", "required": true, "schema": {"type": "string"}},
                {"name": "selector", "in": "query", "required": true, "schema": {"type": "string", "description": "RFC 6376 §3.1 selector"}}
            ],
            "responses": {
                "200": {"description": "the key (status found, not_found or dns_error)", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["name", "status", "record_count", "diagnostics"],
                    "properties": {
                        "name": {"type": "string"},
                        "status": {"enum": ["found", "not_found", "dns_error"]},
                        "txt": {"type": "string"},
                        "record_count": {"type": "integer"},
                        "record": {"type": "object"},
                        "key": {"type": "object"},
                        "diagnostics": {"type": "array", "items": {"type": "object"}},
                        "error": {"type": "string"}
                    }}}}},
                "400": error_response("bad domain (`bad_domain`) or selector (`bad_selector`)"),
                "429": limited.clone()
            }
        }},
        "/api/reputation": {"post": {
            "summary": "A message's host names and sending IP on the server's domain blocklists (Spamhaus DBL, SURBL, URIBL), IP blocklists and allow-lists (RFC 5782): the browser sends only names, never the message. At most 32 distinct names are looked up; the rest come back in `skipped`",
            "requestBody": json_body("ReputationRequest"),
            "responses": {
                "200": {"description": "one row per name and list, and the checks they give", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["reputation", "checks"],
                    "properties": {
                        "reputation": {"type": "object", "description": "the report's Reputation section (docs/report-schema.md): listings[] with name, roles, zone, list, kind (domain, ip, allow), result (listed, not_listed, allowlisted, error: a refusal code is never a listing), codes, meaning, impact (high, medium, low), delist_url; skipped[]"},
                        "checks": {"type": "array", "items": {"type": "object"}}
                    }}}}},
                "400": error_response("bad JSON, a name that is not a domain (`bad_domain`), more than 200 names (`too_many_names`) or a bad sending IP (`bad_ip`)"),
                "413": too_large.clone(),
                "429": limited.clone()
            }
        }},
        "/api/audits": {"post": {
            "summary": "Start a live domain audit",
            "requestBody": json_body("AuditRequest"),
            "responses": {
                "201": json_response("audit started", "Created"),
                "400": error_response("bad domain, sending IP or selectors (`bad_selector`: RFC 6376 §3.1 syntax, at most 16)"),
                "413": too_large.clone(),
                "429": {
                    "description": "rate limited (`rate_limited`), or this client already runs --audits-per-client audits (`too_many_audits`)",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                },
                "503": error_response("too many audits running (`busy`)")
            }
        }},
        "/api/audits/{id}": {"get": {
            "summary": "The audit's report once done",
            "parameters": id_param(),
            "responses": {
                "200": json_response("the domain report", "Report"),
                "202": {"description": "still running", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"status": {"const": "running"}}}}}},
                "404": error_response("unknown id")
            }
        }},
        "/api/audits/{id}/events": {"get": {
            "summary": "Server-Sent Events: `started`, one `check` per check, then `report`",
            "parameters": id_param(),
            "responses": {
                "200": {"description": "event stream; each data line is an AuditEvent",
                    "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/AuditEvent"}}}},
                "404": error_response("unknown id")
            }
        }},
        "/api/reports": {"post": {
            "summary": "Create a stored share link; the server recomputes the report from the raw input",
            "requestBody": json_body("CreateReport"),
            "responses": {
                "201": json_response("stored", "CreatedReport"),
                "400": error_response("bad input, unknown field, bad domain or sending IP"),
                "413": error_response("body over 1 MiB (`too_large`), or the report made from it over --max-report-kib, default 512 KiB (`report_too_large`)"),
                "429": {
                    "description": "rate limited (`rate_limited`), this client's daily quota of stored reports (--reports-per-client-per-day) used (`quota_exceeded`), or its audits (--audits-per-client) running (`too_many_audits`)",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                },
                "507": error_response("the store holds its quota, --store-quota-mib (`store_full`)"),
                "503": {
                    "description": "too many audits running (`busy`), the analysis queue is full (`busy`, with Retry-After) or timed out (`timeout`)",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds; sent when the analysis queue is full"}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }
            }
        }},
        "/api/reports/{id}": {
            "get": {
                "summary": "The stored report, exactly as stored; or as Markdown with ?format=markdown (also served at /api/reports/{id}.md)",
                "parameters": [
                    id_param()[0].clone(),
                    {"name": "format", "in": "query", "required": false,
                     "description": "`json` (default) or `markdown`",
                     "schema": {"type": "string", "enum": ["json", "markdown"]}}
                ],
                "responses": {
                    "200": {
                        "description": "the report",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Report"}},
                            "text/markdown": {"schema": {"type": "string"}}
                        }
                    },
                    "400": error_response("unknown format"),
                    "404": error_response("unknown or expired id"),
                    "429": limited,
                    "503": cpu_busy
                }
            },
            "delete": {
                "summary": "Delete a stored report with its delete token",
                "parameters": id_param(),
                "security": [{"deleteToken": []}],
                "responses": {
                    "204": {"description": "deleted"},
                    "401": error_response("no bearer token"),
                    "403": error_response("wrong token"),
                    "404": error_response("unknown or expired id")
                }
            }
        },
        "/api/test-addresses": {"post": {
            "summary": "A fresh test address (\"Send a test message\"): send one message to it before expires_at; the delivery report is then at /r/{id}. Needs `serve --smtp-listen --test-domain`",
            "responses": {
                "201": json_response("created", "CreatedAddress"),
                "404": error_response("the receiver is off on this server"),
                "429": error_response("rate limited (`rate_limited`) or this client's daily quota of stored reports used (`quota_exceeded`)"),
                "503": error_response("too many addresses waiting (`busy`)")
            }
        }},
        "/api/test-addresses/{id}": {"get": {
            "summary": "The address and the name of its last event (`status`), `done` once the stream has ended",
            "parameters": id_param(),
            "responses": {
                "200": {"description": "state", "content": {"application/json": {"schema": {"type": "object"}}}},
                "404": error_response("unknown id, or the receiver is off")
            }
        }},
        "/api/test-addresses/{id}/events": {"get": {
            "summary": "Server-Sent Events: `waiting` {address, expires_at}, `connected` {client_ip, helo, mail_from, starttls, tls_version}, `receiving`, then `report` {id, url}; or `failed` {reason} or `expired`. Ends after the last",
            "parameters": id_param(),
            "responses": {
                "200": {"description": "event stream", "content": {"text/event-stream": {"schema": {"type": "object"}}}},
                "404": error_response("unknown id, or the receiver is off")
            }
        }},
        "/api/openapi.json": {"get": {
            "summary": "This document",
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}
        }}
    })
}

fn schemas() -> Value {
    json!({
        "Error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "examples": ["bad_input", "bad_json", "bad_domain", "bad_rcpt", "not_found", "too_large", "report_too_large", "rate_limited", "quota_exceeded", "store_full", "too_many_audits", "method_not_allowed", "bad_request", "busy", "timeout", "unauthorized", "forbidden", "internal"]},
            "message": {"type": "string"}
        }},
        "AnalyzeRequest": {"type": "object", "required": ["message"], "properties": {
            "message": {"type": "string", "maxLength": 1048576, "description": "raw headers or a whole message"}
        }},
        "ReputationRequest": {"type": "object", "additionalProperties": false, "properties": {
            "from": {"type": "string", "description": "the From domain"},
            "dkim": {"type": "array", "items": {"type": "string"}, "description": "DKIM d= domains"},
            "return_path": {"type": "string", "description": "the Return-Path (envelope sender) domain"},
            "links": {"type": "array", "maxItems": 200, "items": {"type": "string"}, "description": "link and image host names"},
            "sending_ip": {"type": "string", "description": "looked up on the IP blocklists and allow-lists"}
        }},
        "AuditRequest": {"type": "object", "required": ["domain"], "properties": {
            "domain": {"type": "string"},
            "selectors": {"type": "array", "items": {"type": "string"}, "description": "DKIM selectors to check (at most 16); with none, the common selectors are guessed"},
            "guess_selectors": {"type": "boolean", "description": "also guess the common selectors when selectors is not empty"},
            "sending_ip": {"type": "string"},
            "mail_from": {"type": "string", "maxLength": 256, "description": "the envelope sender (MAIL FROM) the sending IP used; spf.sender-ip is evaluated for it (RFC 7208 §2.4), and when its domain differs from domain both results are shown, the From domain's as info. Needs sending_ip"},
            "helo": {"type": "string", "maxLength": 255, "description": "the HELO name the sending IP gave (SPF %{h})"},
            "rcpt": {"type": "string", "description": "an address at domain: asks the best MX whether it accepts mail for it (RCPT TO without DATA; check smtp.rcpt). 403 forbidden unless the server runs with --enable-rcpt-probe; 400 bad_rcpt when not at domain; 429 beyond the per-client or per-domain probe rate"}
        }},
        "Created": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        "CreateReport": {
            "type": "object",
            "additionalProperties": false,
            "description": "message, domain, or both (kind combined). Unknown fields are refused.",
            "properties": {
                "message": {"type": "string", "maxLength": 1048576},
                "domain": {"type": "string"},
                "selectors": {"type": "array", "items": {"type": "string"}},
                "sending_ip": {"type": "string"},
                "mail_from": {"type": "string", "maxLength": 256, "description": "as in AuditRequest; taken from the message's envelope_from when absent"},
                "helo": {"type": "string", "maxLength": 255, "description": "as in AuditRequest; taken from the message's envelope_helo when absent"},
                "redact": {"type": "boolean", "description": "replace local parts of addresses"},
                "redact_network": {"type": "boolean", "description": "also replace IPs and Received host names"},
                "rcpt": {"type": "string", "description": "as in AuditRequest; stored as redacted@domain unless keep_rcpt"},
                "keep_rcpt": {"type": "boolean", "description": "store the probed address as it is (opt-in)"}
            }
        },
        "CreatedReport": {"type": "object", "required": ["id", "url", "delete_token"], "properties": {
            "id": {"type": "string"},
            "url": {"type": "string", "description": "/r/{id}"},
            "delete_token": {"type": "string"}
        }},
        "CreatedAddress": {"type": "object", "required": ["address", "id", "expires_at", "delete_token"], "properties": {
            "address": {"type": "string", "description": "token@test-domain; takes one message"},
            "id": {"type": "string", "description": "the events' id, then the report's"},
            "expires_at": {"type": "string", "format": "date-time"},
            "delete_token": {"type": "string", "description": "deletes the delivery report (DELETE /api/reports/{id})"}
        }},
        "AuditEvent": {"type": "object", "required": ["type"], "properties": {
            "type": {"enum": ["started", "check", "report"]},
            "domain": {"type": "string"},
            "steps": {"type": "array", "items": {"type": "string"}},
            "check": {"type": "object"},
            "report": {"$ref": "#/components/schemas/Report"}
        }},
        "Report": report_schema()
    })
}

fn report_schema() -> Value {
    json!({
        "type": "object",
        "description": "See docs/report-schema.md",
        "required": ["schema_version", "kind", "generated_at", "tool", "score", "grade", "checks"],
        "properties": {
            "schema_version": {"type": "integer"},
            "kind": {"enum": ["message", "domain", "combined", "delivery"]},
            "generated_at": {"type": "string", "format": "date-time"},
            "tool": {"type": "object", "properties": {"name": {"type": "string"}, "version": {"type": "string"}}},
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
            "grade": {"enum": ["A", "B", "C", "D", "E", "F"]},
            "coverage": {"type": "integer", "minimum": 0, "maximum": 100, "description": "Share of the scored checks, by weight, that reached a verdict"},
            "checks": {"type": "array", "items": {"type": "object", "required": ["id", "status", "title", "detail"], "properties": {
                "id": {"type": "string"},
                "status": {"enum": ["pass", "warn", "fail", "info", "not_applicable", "not_tested", "error"]},
                "title": {"type": "string"},
                "detail": {"type": "string"},
                "fix": {"type": "string"},
                "refs": {"type": "array", "items": {"type": "string"}},
                "subject": {"type": "string"},
                "suggestion": {"type": "string"}
            }}},
            "message": {"type": "object"},
            "domain": {"type": "object"},
            "checklists": {"type": "object"}
        }
    })
}

/// `GET /api/openapi.json`.
pub async fn serve_document() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_responses() {
        let doc = document();
        for (method, path) in ROUTES {
            let op = &doc["paths"][path][method];
            assert!(op.is_object(), "{method} {path} missing");
            assert!(
                op["responses"].is_object(),
                "{method} {path} has no responses"
            );
        }
        let listed: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(listed, ROUTES.len(), "a documented route is not in ROUTES");
    }
}
