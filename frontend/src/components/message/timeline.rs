//! The Route section: Received hops drawn as SVG, oldest first. Each hop box
//! shows the receiving host, the connecting host and IP, the protocol and
//! TLS (an icon and a word, never colour alone); arrows between boxes
//! carry the delay, thicker and amber then red as it grows, and a clock-skew
//! badge when timestamps run backwards. Wide screens get a horizontal
//! drawing, narrow ones (CSS, see style.css) a vertical one.

use mxlens_shared::report::Hop;
use yew::prelude::*;

/// Box and arrow sizes in SVG user units (the drawing scales to its box).
const BOX_W: i32 = 210;
const BOX_H: i32 = 104;
const GAP_H: i32 = 92;
const GAP_V: i32 = 56;
const PAD: i32 = 8;
/// The most hops drawn: the oldest and the newest half of them, with a
/// "… N hops" arrow between. Real routes have a handful of hops (rarely
/// more than 12, even through Microsoft 365's internal relays); hundreds
/// mean a mail loop (RFC 5321 §6.3), and drawing them all would cost
/// thousands of SVG nodes (about half a second) and show nothing useful.
/// 20 rather than 30: for a 450-hop paste, the median click → painted went
/// from 60.7 to 42.8 ms (bench/ui-analyze.sh, issue 7's 50 ms budget).
const MAX_DRAWN: usize = 20;

/// The indices of the hops to draw, oldest first.
fn drawn_hops(count: usize) -> Vec<usize> {
    if count <= MAX_DRAWN {
        (0..count).collect()
    } else {
        (0..MAX_DRAWN / 2)
            .chain(count - MAX_DRAWN / 2..count)
            .collect()
    }
}

/// What the drawing needs from the message section. Plain functions, not
/// components: each component costs bundle size for its lifecycle code.
pub struct HopTimelineProps<'a> {
    /// Hops, oldest first (the report's order).
    pub hops: &'a [Hop],
    /// The first IP outside the sender's network, highlighted.
    pub sending_ip: Option<&'a str>,
    /// First to last hop, in seconds.
    pub total_delay_seconds: Option<i64>,
}

/// How an arrow's delay reads: class (width and colour) and label.
fn delay_look(delay: Option<i64>) -> (&'static str, String) {
    match delay {
        None => ("delay-unknown", "? s".to_string()),
        Some(d) if d < 0 => ("delay-skew", format!("⚠ {d} s clock skew")),
        Some(d) if d < 60 => ("delay-fast", format!("+{}", human_seconds(d))),
        Some(d) if d < 300 => ("delay-slow", format!("▲ +{}", human_seconds(d))),
        Some(d) => ("delay-very-slow", format!("✘ +{}", human_seconds(d))),
    }
}

/// `42 s`, `3 min 5 s`, `2 h 4 min`.
pub fn human_seconds(seconds: i64) -> String {
    let s = seconds.abs();
    let text = if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    };
    if seconds < 0 {
        format!("-{text}")
    } else {
        text
    }
}

/// Shortens a host name for a box, keeping its end (the domain).
fn fit(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        text.to_string()
    } else {
        let tail: String = text.chars().skip(count - (max - 1)).collect();
        format!("…{tail}")
    }
}

/// TLS for one hop: icon and word. Plain check and cross glyphs rather
/// than lock emoji, which many systems (and headless Chromium) lack fonts for.
pub fn tls_words(hop: &Hop) -> (&'static str, &'static str, String) {
    match hop.tls {
        Some(true) => (
            "tls-yes",
            "✔",
            match &hop.tls_version {
                Some(v) => format!("TLS {}", v.trim_start_matches("TLSv").replace('_', ".")),
                None => "TLS".to_string(),
            },
        ),
        Some(false) => ("tls-no", "✘", "no TLS".to_string()),
        None => ("tls-unknown", "?", "TLS unknown".to_string()),
    }
}

fn hop_box(hop: &Hop, index: usize, x: i32, y: i32, sending: bool) -> Html {
    let by = hop.by.as_deref().unwrap_or("(unknown server)");
    let from = hop
        .from
        .as_deref()
        .or(hop.helo.as_deref())
        .unwrap_or("(unknown)");
    let ip = hop.ip.as_deref().unwrap_or("");
    let (tls_class, tls_icon, tls_word) = tls_words(hop);
    let protocol = hop.with.as_deref().unwrap_or("");
    let class = format!(
        "hop-box{}{}",
        if sending { " sending" } else { "" },
        if hop.internal { " internal" } else { "" }
    );
    let label = format!(
        "Hop {}: {by} received from {from} {ip}{}; {tls_word} {protocol}",
        index + 1,
        if sending { ", the sending IP" } else { "" },
    );
    let ip_line = if ip.is_empty() {
        "no IP recorded".to_string()
    } else if sending {
        format!("{} ★ sending IP", fit(ip, 22))
    } else {
        fit(ip, 22)
    };
    let tls_line = if protocol.is_empty() {
        format!("{tls_icon} {tls_word}")
    } else {
        format!("{tls_icon} {tls_word} · {}", fit(protocol, 10))
    };
    let mut lines: Vec<(&'static str, String, String)> = vec![
        (
            "18",
            "hop-by".into(),
            format!("{}. {}", index + 1, fit(by, 24)),
        ),
        ("38", "hop-from".into(), format!("from {}", fit(from, 24))),
        (
            "57",
            (if sending {
                "hop-ip sending-ip"
            } else {
                "hop-ip"
            })
            .into(),
            ip_line,
        ),
        ("77", format!("hop-tls {tls_class}"), tls_line),
    ];
    if hop.internal {
        lines.push(("95", "hop-internal".into(), "internal network".into()));
    }
    // Coordinates inside the box are static; only the group moves.
    html! {
        <g class={class} data-hop={(index + 1).to_string()} transform={format!("translate({x},{y})")}>
            <title>{ label }</title>
            <rect width="210" height="104" rx="6" />
            { for lines.into_iter().map(|(y, class, line)| html! { <text x="10" y={y} class={class}>{ line }</text> }) }
        </g>
    }
}

/// One drawing: `vertical` stacks the boxes for narrow screens.
fn drawing(props: &HopTimelineProps<'_>, vertical: bool) -> Html {
    let hops = &props.hops;
    let shown = drawn_hops(hops.len());
    let n = shown.len() as i32;
    let (width, height) = if vertical {
        (
            BOX_W + 2 * PAD + 150,
            n * BOX_H + (n - 1).max(0) * GAP_V + 2 * PAD,
        )
    } else {
        (
            n * BOX_W + (n - 1).max(0) * GAP_H + 2 * PAD,
            BOX_H + 2 * PAD,
        )
    };
    let position = |i: i32| {
        if vertical {
            (PAD, PAD + i * (BOX_H + GAP_V))
        } else {
            (PAD + i * (BOX_W + GAP_H), PAD)
        }
    };
    let summary = format!(
        "Route: {} hop(s), oldest first{}{}",
        hops.len(),
        props
            .total_delay_seconds
            .map(|t| format!(", {} in total", human_seconds(t)))
            .unwrap_or_default(),
        if shown.len() < hops.len() {
            format!("; the oldest and newest {} drawn", MAX_DRAWN / 2)
        } else {
            String::new()
        }
    );
    // One marker id per orientation.
    let marker = if vertical {
        "hop-arrowhead-v"
    } else {
        "hop-arrowhead-h"
    };
    // The static geometry below assumes these sizes.
    const _: () = assert!(BOX_W == 210 && BOX_H == 104 && GAP_H == 92 && GAP_V == 56);
    let mut arrows = Vec::new();
    for i in 1..n {
        let (before, this) = (shown[i as usize - 1], shown[i as usize]);
        let (class, label) = if this == before + 1 {
            delay_look(hops[this].delay_seconds)
        } else {
            ("delay-unknown", format!("… {} hops", this - before - 1))
        };
        let (px, py) = position(i - 1);
        let (ox, oy) = if vertical {
            (px, py + BOX_H)
        } else {
            (px + BOX_W, py)
        };
        arrows.push(html! {
            <g class={format!("hop-arrow {class}")} transform={format!("translate({ox},{oy})")}>
                if vertical {
                    <line x1="105" y1="0" x2="105" y2="52" marker-end="url(#hop-arrowhead-v)" />
                    <text x="117" y="33" class="delay-label">{ label }</text>
                } else {
                    <line x1="0" y1="52" x2="88" y2="52" marker-end="url(#hop-arrowhead-h)" />
                    <text x="46" y="42" text-anchor="middle" class="delay-label">{ label }</text>
                }
            </g>
        });
    }
    let sending_ip = props.sending_ip;
    html! {
        <svg class={if vertical { "timeline timeline-v" } else { "timeline timeline-h" }}
            role="img" aria-label={summary.clone()}
            viewBox={format!("0 0 {width} {height}")}
            width={width.to_string()} height={height.to_string()}
            xmlns="http://www.w3.org/2000/svg">
            <title>{ summary }</title>
            <defs>
                <marker id={marker} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
                </marker>
            </defs>
            { for arrows }
            { for shown.iter().enumerate().map(|(slot, &i)| {
                let hop = &hops[i];
                let (x, y) = position(slot as i32);
                let sending = sending_ip.is_some() && hop.ip.as_deref() == sending_ip;
                hop_box(hop, i, x, y, sending)
            }) }
        </svg>
    }
}

/// True when the viewport is narrow enough for the vertical drawing: the
/// same breakpoint as the stylesheet's (47rem). Only one drawing is built,
/// not both with one hidden by CSS: the hidden one cost as many nodes as
/// the visible one. A window resized across the breakpoint keeps its
/// drawing (it scrolls) until the next analysis.
fn narrow_viewport() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(max-width: 47rem)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// The hop timeline.
pub fn hop_timeline(props: &HopTimelineProps<'_>) -> Html {
    if props.hops.is_empty() {
        return html! { <p class="muted">{"No Received headers: the paste holds no trace of the route."}</p> };
    }
    let skew = props
        .hops
        .iter()
        .filter(|h| h.delay_seconds.is_some_and(|d| d < 0))
        .count();
    html! {
        <div class="timeline-wrap">
            if skew > 0 {
                <p class="skew-badge" role="note">
                    <span aria-hidden="true">{"⚠"}</span>{ format!(" Clock skew: timestamps run backwards at {skew} hop(s); the delays there are not real.") }
                </p>
            }
            if props.hops.len() > MAX_DRAWN {
                <p class="muted">{ format!("{} Received hops: only the oldest and newest {} are drawn. So many hops usually means a mail loop (RFC 5321 §6.3).", props.hops.len(), MAX_DRAWN / 2) }</p>
            }
            <div class="timeline-scroll">
                { drawing(props, narrow_viewport()) }
            </div>
        </div>
    }
}
