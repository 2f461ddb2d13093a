//! A black-box suite against a `vnet-node` process, written from `docs/nmp.md` alone: raw
//! JSON-RPC over HTTP (`reqwest`) and WebSocket (`tokio-tungstenite`), requests signed by hand
//! with HMAC-SHA256 — no code of this crate. It holds the daemon to its promises on memory,
//! output, pacing, sessions, parameters and authentication.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as Ws;

/// A `vnet-node` process on a free loopback port, killed when dropped.
struct Daemon {
    child: Child,
    url: String,
    http: reqwest::Client,
    key: Option<Vec<u8>>,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    fn start(args: &[&str]) -> Daemon {
        Daemon::start_keyed(args, None)
    }

    fn start_keyed(args: &[&str], key: Option<&[u8]>) -> Daemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vnet-node"));
        cmd.args(["--listen", "127.0.0.1:0"]).args(args);
        // RSS is to measure what the daemon holds: with a fixed mmap threshold glibc hands
        // freed large blocks (4 MiB lines) back to the system at once, where its default
        // raises the threshold after the first such free and keeps later ones in its arenas.
        cmd.env("MALLOC_MMAP_THRESHOLD_", "131072");
        let key_file = key.map(|k| {
            let path = std::env::temp_dir().join(format!("vnet-bb-key-{}", std::process::id()));
            std::fs::write(&path, k).unwrap();
            cmd.arg("--key-file").arg(&path);
            path
        });
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("vnet-node starts");
        // "vnet-node NAME listening on http://ADDR"
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // Listening, so it has read its key: the file is not needed any more.
        if let Some(path) = key_file {
            let _ = std::fs::remove_file(path);
        }
        let url = line
            .split_whitespace()
            .last()
            .expect("the listening line")
            .to_owned();
        Daemon {
            child,
            url,
            http: reqwest::Client::new(),
            key: key.map(<[u8]>::to_vec),
        }
    }

    /// The auth line for `body`, as the spec gives it.
    fn sign(&self, body: &str) -> Option<String> {
        self.key.as_ref().map(|k| sign(k, now_ms(), &nonce(), body))
    }

    /// POSTs `body` as it is; the HTTP status and the parsed reply (Null for no body).
    async fn post(&self, body: &str) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}/nmp", self.url))
            .body(body.to_owned());
        if let Some(line) = self.sign(body) {
            req = req.header("NMP-Auth", line);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        (status, v)
    }

    /// Calls `method`: its `result`, or its `error` as `Err`.
    async fn call(&self, method: &str, params: Value) -> Result<Value, Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (_, reply) = self.post(&body.to_string()).await;
        match reply.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(reply["result"].clone()),
        }
    }

    async fn ok(&self, method: &str, params: Value) -> Value {
        match self.call(method, params.clone()).await {
            Ok(v) => v,
            Err(e) => panic!("{method} {params}: {e}"),
        }
    }

    async fn session(&self) -> String {
        self.ok("session.open", json!({})).await["session"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn vm(&self, session: &str, lang: &str, code: &str) -> u64 {
        let params = json!({"session": session, "lang": lang, "code": code});
        self.ok("vm.create", params).await["vm"].as_u64().unwrap()
    }

    /// Polls `session` until worker `vm` has ended; every event seen (acknowledging as it goes).
    async fn until_ended(&self, session: &str, vm: u64) -> Vec<Value> {
        let mut all = Vec::new();
        let mut after = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < deadline, "vm {vm} did not end: {all:?}");
            let params = json!({"session": session, "after": after, "timeout_ms": 1000});
            let r = self.ok("io.poll", params).await;
            for e in r["events"].as_array().unwrap() {
                after = e["seq"].as_u64().unwrap();
                all.push(e.clone());
            }
            if all.iter().any(|e| e["vm"] == vm && e["stream"] == "state") {
                return all;
            }
        }
    }

    /// A line of `/proc/PID/status`, in kB.
    fn status_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    fn rss_kb(&self) -> u64 {
        self.status_kb("VmRSS:")
    }

    fn peak_kb(&self) -> u64 {
        self.status_kb("VmHWM:")
    }

    async fn ws(
        &self,
    ) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>
    {
        let url = format!("{}/nmp/ws", self.url.replace("http://", "ws://"));
        tokio_tungstenite::connect_async(url).await.unwrap().0
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// `"<unix ms> <nonce> <hex HMAC-SHA256 of "<ms>\n<nonce>\n" + body>"`.
fn sign(key: &[u8], ts: u64, nonce: &str, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("{ts}\n{nonce}\n").as_bytes());
    mac.update(body.as_bytes());
    format!("{ts} {nonce} {}", hex::encode(mac.finalize().into_bytes()))
}

fn texts(events: &[Value], vm: u64, stream: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["vm"] == vm && e["stream"] == stream)
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect()
}

/// Item 1: a JavaScript worker that allocates past its 16 MiB cap fails with the cap named,
/// and the daemon grows by little more than the cap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_js_worker_over_its_memory_cap_fails_and_the_daemon_stays_small() {
    let d = Daemon::start(&[]);
    let s = d.session().await;
    let before = d.rss_kb();
    // An array of objects; the loop prints now and then (where the cap is checked).
    let code = "const a = []; for (let i = 0; ; i++) { a.push({i: i, s: 'x' + i}); \
                if (i % 1000 == 0) print(i); }";
    let vm = d.vm(&s, "js", code).await;
    let events = d.until_ended(&s, vm).await;
    assert_eq!(texts(&events, vm, "state"), vec!["failed"]);
    let err = texts(&events, vm, "err").join("\n");
    assert!(
        err.contains("memory cap of 16777216 bytes exceeded"),
        "{err}"
    );
    let grown_mb = (d.peak_kb() - before) as f64 / 1024.0;
    eprintln!("JS array attack: peak RSS grew {grown_mb:.1} MB");
    // The cap counts bytes asked for; the heap's own overhead on ~100-byte blocks and the
    // collector's lag come on top.
    assert!(grown_mb < 16.0 + 32.0, "the daemon grew {grown_mb:.1} MB");
    // Computations that call no API: objects piling up, a string doubling 40 times.
    for code in [
        "const a = []; for (let i = 0; i < 9e6; i++) a.push({i: i}); print(a.length);",
        "let s = 'x'; for (let i = 0; i < 40; i++) s = s + s; print(s.length);",
    ] {
        let before = d.rss_kb();
        let peak_before = d.peak_kb();
        let vm = d.vm(&s, "js", code).await;
        let events = d.until_ended(&s, vm).await;
        assert_eq!(texts(&events, vm, "state"), vec!["failed"], "{code}");
        let err = texts(&events, vm, "err").join("\n");
        assert!(
            err.contains("memory cap of 16777216 bytes exceeded"),
            "{code}: {err}"
        );
        // The peak since the last attack (VmHWM only rises).
        let grown_mb = (d.peak_kb().max(peak_before) - before) as f64 / 1024.0;
        eprintln!("JS attack without API calls `{code}`: peak RSS at most {grown_mb:.1} MB above");
        assert!(
            grown_mb < 24.0 + 24.0,
            "{code}: the daemon grew {grown_mb:.1} MB"
        );
    }
    // The daemon goes on serving.
    let vm = d.vm(&s, "js", "print(6 * 7)").await;
    assert_eq!(texts(&d.until_ended(&s, vm).await, vm, "out"), vec!["42"]);
}

/// Item 2: unread output is bounded in bytes; lines are cut when stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_output_is_bounded_in_bytes() {
    let d = Daemon::start(&[]);
    let s = d.session().await;
    let before = d.rss_kb();
    // 8 workers print 25 lines of 4 MiB each, and nobody reads them yet.
    let code = "local s = string.rep('x', 4 * 1024 * 1024) for i = 1, 25 do print(s) end";
    let mut vms = Vec::new();
    for _ in 0..8 {
        vms.push(d.vm(&s, "lua", code).await);
    }
    // Wait (without acknowledging anything) until all have ended.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = d.ok("vm.list", json!({})).await;
        if list
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["state"] == "finished")
        {
            break;
        }
        assert!(Instant::now() < deadline, "{list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let grown_mb = (d.peak_kb() - before) as f64 / 1024.0;
    let held_mb = (d.rss_kb() as f64 - before as f64) / 1024.0;
    eprintln!(
        "output attack (8 x 25 x 4 MiB): peak RSS grew {grown_mb:.1} MB, {held_mb:.1} MB held after"
    );
    // At the peak each worker holds its 4 MiB string (within its own 16 MiB cap) and a line
    // being printed; once they have ended, only the unread (cut) lines remain.
    assert!(grown_mb < 8.0 * 16.0, "the daemon grew {grown_mb:.1} MB");
    // The 200 unread lines, cut, are 3.3 MB.
    assert!(held_mb < 16.0, "the daemon holds {held_mb:.1} MB");
    let r = d.ok("io.poll", json!({"session": s, "max": 10000})).await;
    let events = r["events"].as_array().unwrap();
    // Each line is cut at 16 KiB and marked.
    let outs: Vec<&Value> = events.iter().filter(|e| e["stream"] == "out").collect();
    assert_eq!(outs.len(), 8 * 25);
    for e in outs {
        let t = e["text"].as_str().unwrap();
        assert_eq!(t.len(), 16384 + " …(line cut)".len());
        assert!(t.ends_with(" …(line cut)"));
    }
    assert_eq!(r["dropped"], 0);

    // Over 16 MiB of unread events: the oldest are dropped and counted.
    let s = d.session().await;
    let vm = d
        .vm(
            &s,
            "lua",
            "local s = string.rep('y', 20000) for i = 1, 1200 do print(i .. s) end",
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while d.ok("vm.list", json!({})).await.as_array().unwrap()[8]["state"] != "finished" {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = d.ok("io.poll", json!({"session": s, "max": 10000})).await;
    let events = r["events"].as_array().unwrap();
    let dropped = r["dropped"].as_u64().unwrap();
    let kept_bytes: usize = events
        .iter()
        .map(|e| e["text"].as_str().unwrap().len())
        .sum();
    assert!(dropped > 100, "dropped {dropped}");
    assert_eq!(
        events.len() as u64 + dropped,
        1201,
        "every event kept or counted"
    );
    assert!(kept_bytes <= 16 << 20, "{kept_bytes} bytes kept");
    // The newest are kept: the last line, then the end.
    assert!(
        texts(events, vm, "out")
            .last()
            .unwrap()
            .starts_with("1200y")
    );
    assert_eq!(texts(events, vm, "state"), vec!["finished"]);
}

/// Item 3: under every profile, every message a worker sent before it ended arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_message_is_lost_under_any_profile() {
    for profile in [None, Some("pc"), Some("rpi-zero"), Some("esp32")] {
        let args: Vec<&str> = profile.map_or(vec![], |p| vec!["--profile", p]);
        let d = Daemon::start(&args);
        let s = d.session().await;
        d.ok("port.create", json!({"name": "p"})).await;
        let mut vms = Vec::new();
        for _ in 0..6 {
            vms.push(d.vm(&s, "lua", "for k = 1, 5 do send('p', k) end").await);
            vms.push(
                d.vm(&s, "js", "for (let k = 1; k <= 5; k++) send('p', k);")
                    .await,
            );
        }
        let mut got = Vec::new();
        let mut after = 0;
        let deadline = Instant::now() + Duration::from_secs(30);
        while got.len() < 60 && Instant::now() < deadline {
            let params = json!({"port": "p", "after": after, "timeout_ms": 1000});
            let r = d.ok("port.recv", params).await;
            for m in r["messages"].as_array().unwrap() {
                after = m["seq"].as_u64().unwrap();
                got.push(m["value"].as_i64().unwrap());
            }
        }
        // Let any stragglers in, then count.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let r = d
            .ok("port.recv", json!({"port": "p", "after": after}))
            .await;
        got.extend(
            r["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["value"].as_i64().unwrap()),
        );
        eprintln!("profile {profile:?}: {} of 60 messages arrived", got.len());
        assert_eq!(got.len(), 60, "profile {profile:?}");
        for k in 1..=5 {
            assert_eq!(got.iter().filter(|&&v| v == k).count(), 12);
        }
        let list = d.ok("vm.list", json!({})).await;
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|w| w["state"] == "finished"),
            "{list}"
        );
    }
}

/// Item 3 and 7: under `esp32`, output is paced like sends, and a computing worker is listed
/// as `running`, not `waiting`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esp32_output_is_paced_and_computing_is_running() {
    let d = Daemon::start(&["--profile", "esp32"]);
    let s = d.session().await;
    let t0 = Instant::now();
    let vm = d
        .vm(&s, "lua", "for i = 1, 300000 do end print(now()) recv()")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let list = d.ok("vm.list", json!({})).await;
    assert_eq!(list[0]["state"], "running", "{list}");
    // The line shows up no earlier (on the wall clock) than the time it prints.
    let mut line = None;
    let mut after = 0;
    while line.is_none() {
        assert!(t0.elapsed() < Duration::from_secs(20));
        let params = json!({"session": s, "after": after, "timeout_ms": 1000});
        let r = d.ok("io.poll", params).await;
        for e in r["events"].as_array().unwrap() {
            after = e["seq"].as_u64().unwrap();
            if e["vm"] == vm && e["stream"] == "out" {
                line = Some((
                    e["text"].as_str().unwrap().parse::<f64>().unwrap(),
                    t0.elapsed(),
                ));
            }
        }
    }
    let (printed_ms, seen) = line.unwrap();
    assert!(printed_ms > 500.0, "printed {printed_ms}");
    assert!(
        seen.as_secs_f64() * 1e3 >= printed_ms - 20.0,
        "a line showing now() = {printed_ms} ms arrived after {seen:?}"
    );
    let list = d.ok("vm.list", json!({})).await;
    assert_eq!(list[0]["state"], "waiting", "{list}");
}

/// Item 4: an open subscription keeps its session alive; closing it lets the timeout run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_subscription_keeps_its_session_alive() {
    let d = Daemon::start(&["--session-timeout", "1"]);
    let s = d.session().await;
    let mut ws = d.ws().await;
    let sub = json!({"jsonrpc": "2.0", "id": 1, "method": "io.subscribe",
                     "params": {"session": s, "after": 0}});
    ws.send(Ws::Text(sub.to_string().into())).await.unwrap();
    let reply = ws.next().await.unwrap().unwrap();
    assert!(reply.to_text().unwrap().contains("\"subscribed\":true"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    d.ok("session.resume", json!({"session": s})).await;
    // Unsubscribed (the connection closed), the session times out.
    ws.close(None).await.unwrap();
    drop(ws);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let e = d
        .call("session.resume", json!({"session": s}))
        .await
        .unwrap_err();
    assert_eq!(e["code"], -32002);
}

/// Item 5: parameters are checked — unknown, missing, null and ill-typed ones are refused
/// with -32602 naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_are_checked_by_name() {
    let d = Daemon::start(&[]);
    let s = d.session().await;
    d.ok("port.create", json!({"name": "p"})).await;
    let cases = [
        ("net.load", json!({"session": s, "network": "x"}), "network"),
        ("net.load", json!({"session": s, "network": 5}), "network"),
        (
            "net.load",
            json!({"session": s, "network": null}),
            "network",
        ),
        ("net.load", json!({"session": s, "network": []}), "network"),
        (
            "net.load",
            json!({"session": s, "network": {"ports": [{"nmae": "q"}]}}),
            "nmae",
        ),
        (
            "port.deliver",
            json!({"port": "p", "messages": [1], "from": 5}),
            "from",
        ),
        ("vm.kill", json!({"session": s, "vm": null}), "vm"),
        ("vm.kill", json!({"session": s, "vm": "1"}), "vm"),
        ("io.ack", json!({"session": s, "seq": null}), "seq"),
        ("io.poll", json!({"session": s, "after": -1}), "after"),
        ("io.poll", json!({"sesion": s}), "sesion"),
        (
            "vm.create",
            json!({"session": s, "lang": 5, "code": ""}),
            "lang",
        ),
        ("node.info", json!({"verbose": true}), "verbose"),
    ];
    for (method, params, field) in cases {
        let e = d.call(method, params.clone()).await.unwrap_err();
        assert_eq!(e["code"], -32602, "{method} {params}: {e}");
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains(field), "{method} {params}: {msg}");
    }
    // Optional parameters may be left out.
    d.ok("io.poll", json!({"session": s})).await;
    d.ok("port.recv", json!({"port": "p"})).await;
    d.ok("port.deliver", json!({"port": "p", "messages": [1]}))
        .await;
    // Nesting: 127 levels parse; 128 do not (-32700), as the spec says.
    let nest = |depth: usize| {
        // The envelope and `params` are two levels; `value` makes up the rest.
        let inner = depth - 2;
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"port.send","params":{{"port":"p","value":{}1{}}}}}"#,
            "[".repeat(inner),
            "]".repeat(inner)
        )
    };
    let (_, r) = d.post(&nest(127)).await;
    assert!(r.get("result").is_some(), "{r}");
    let (_, r) = d.post(&nest(128)).await;
    assert_eq!(r["error"]["code"], -32700, "{r}");
}

/// Item 6: a flood of signed requests narrows the replay window but locks no honest client
/// out, and the daemon's memory stays small; replays are refused throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_signed_requests_locks_no_honest_client_out() {
    let key = b"a pre-shared key of 32 bytes...!";
    let d = Daemon::start_keyed(&[], Some(key));
    let before = d.rss_kb();
    let mut ws = d.ws().await;
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"session.resume","params":{"session":"x"}}"#;
    let mut first = None;
    let total = 70_000;
    let batch = 500;
    let mut refused = 0;
    for _ in 0..total / batch {
        for _ in 0..batch {
            let line = sign(key, now_ms(), &nonce(), body);
            if first.is_none() {
                first = Some(line.clone());
            }
            ws.feed(Ws::Text(format!("{line}\n{body}").into()))
                .await
                .unwrap();
        }
        ws.flush().await.unwrap();
        for _ in 0..batch {
            let reply = ws.next().await.unwrap().unwrap();
            let v: Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
            if v["error"]["code"] == -32001 {
                refused += 1;
            }
        }
    }
    let grown_mb = (d.peak_kb() - before) as f64 / 1024.0;
    eprintln!("{total} signed requests: {refused} refused, peak RSS grew {grown_mb:.1} MB");
    assert_eq!(refused, 0);
    assert!(grown_mb < 32.0, "the daemon grew {grown_mb:.1} MB");
    // An honest request over HTTP goes through.
    let (_, r) = d
        .post(r#"{"jsonrpc":"2.0","id":2,"method":"node.info","params":{}}"#)
        .await;
    assert!(r.get("result").is_some(), "{r}");
    // The first request of the flood, replayed, is refused.
    let replay = format!("{}\n{body}", first.unwrap());
    ws.send(Ws::Text(replay.into())).await.unwrap();
    let v: Value =
        serde_json::from_str(ws.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(v["error"]["code"], -32001, "{v}");
}

/// Item 7: what the spec says of eval, notifications and optional parameters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_notifications_and_optional_parameters_as_specified() {
    let d = Daemon::start(&[]);
    let s = d.session().await;
    let vm = d
        .vm(
            &s,
            "js",
            "globalThis.g = 1; let l = 2; var v = 3; await recv();",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let eval = |code: &str| json!({"session": s, "vm": vm, "code": code});
    // Globals are visible; the program's own declarations are local to it.
    assert_eq!(d.ok("vm.eval", eval("g + 1")).await["value"], 2);
    assert_eq!(
        d.ok("vm.eval", eval("typeof l")).await["value"],
        "undefined"
    );
    assert_eq!(
        d.ok("vm.eval", eval("typeof v")).await["value"],
        "undefined"
    );
    let vm = d.vm(&s, "lua", "g = 1 local l = 2 recv()").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let eval = |code: &str| json!({"session": s, "vm": vm, "code": code});
    assert_eq!(d.ok("vm.eval", eval("return g + 1")).await["value"], 2);
    assert_eq!(
        d.ok("vm.eval", eval("return l")).await["value"],
        Value::Null
    );

    // A notification gets 204 and no body, signed or not, accepted or refused.
    let note = r#"{"jsonrpc":"2.0","method":"node.info","params":{}}"#;
    assert_eq!(d.post(note).await, (204, Value::Null));
    let keyed = Daemon::start_keyed(&[], Some(b"another key of 16+ bytes"));
    let resp = keyed
        .http
        .post(format!("{}/nmp", keyed.url))
        .body(note)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(resp.text().await.unwrap(), "");
    // ...while an unsigned request with an id is told why.
    let resp = keyed
        .http
        .post(format!("{}/nmp", keyed.url))
        .body(r#"{"jsonrpc":"2.0","id":9,"method":"node.info"}"#)
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(
        (v["id"].clone(), v["error"]["code"].clone()),
        (json!(9), json!(-32001))
    );
}

/// A worker's `params` come from `vm.create`, its records come back as `record` events with
/// their values typed, `net.save` keeps the params, and params that are not an object are
/// refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn params_in_and_records_out() {
    let d = Daemon::start(&[]);
    let s = d.session().await;
    let lua = "local p = params() record('twice', p.n * 2) record('who', p.who) \
               record('half', p.n / 2) record('odd', p.n % 2 == 1) record('nan', 0/0) recv()";
    let params =
        json!({"session": s, "lang": "lua", "code": lua, "params": {"n": 21, "who": "ada"}});
    let lua_vm = d.ok("vm.create", params).await["vm"].as_u64().unwrap();
    let js = "const p = params(); record('none', p === null ? 'null' : typeof p);";
    let js_vm = d.vm(&s, "js", js).await;
    let events = d.until_ended(&s, js_vm).await;
    let records = |vm: u64| -> Vec<(String, Value)> {
        events
            .iter()
            .filter(|e| e["vm"] == vm && e["stream"] == "record")
            .map(|e| (e["text"].as_str().unwrap().to_owned(), e["value"].clone()))
            .collect()
    };
    assert_eq!(records(js_vm), [("none".to_owned(), json!("null"))]);
    // The Lua worker is still waiting in recv(): its records are out already.
    let mut lua_records = records(lua_vm);
    let mut after = events.last().unwrap()["seq"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while lua_records.len() < 5 && Instant::now() < deadline {
        let r = d
            .ok(
                "io.poll",
                json!({"session": s, "after": after, "timeout_ms": 500}),
            )
            .await;
        for e in r["events"].as_array().unwrap() {
            after = e["seq"].as_u64().unwrap();
            if e["vm"] == lua_vm && e["stream"] == "record" {
                lua_records.push((e["text"].as_str().unwrap().to_owned(), e["value"].clone()));
            }
        }
    }
    assert_eq!(
        lua_records,
        [
            ("twice".to_owned(), json!(42)),
            ("who".to_owned(), json!("ada")),
            ("half".to_owned(), json!(10.5)),
            ("odd".to_owned(), json!(true)),
            ("nan".to_owned(), Value::Null),
        ]
    );
    // Other streams carry no `value`.
    assert!(
        events
            .iter()
            .filter(|e| e["stream"] != "record")
            .all(|e| e.get("value").is_none())
    );
    // net.save keeps the live worker's params; net.load starts it with them.
    let saved = d.ok("net.save", json!({})).await;
    assert_eq!(
        saved["workers"][0]["params"],
        json!({"n": 21, "who": "ada"})
    );
    for bad in [json!(5), json!([1]), json!("x"), Value::Null] {
        let p = json!({"session": s, "lang": "lua", "code": "", "params": bad});
        let e = d.call("vm.create", p).await.unwrap_err();
        assert_eq!(e["code"], -32602, "{bad}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains("params"),
            "{bad}: {e}"
        );
    }
}
