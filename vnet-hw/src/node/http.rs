//! The P-node's HTTP face: `POST /nmp` (one JSON-RPC request per body) and `GET /nmp/ws` (one
//! request per text frame, replies and `io.event` pushes as text frames). Both check the
//! request's signature when the node has a key, bound the body, and answer every failure with a
//! JSON-RPC error.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::methods;
use super::root::Root;
use crate::nmp::auth::{HEADER, Verifier};
use crate::nmp::method;
use crate::nmp::rpc::{self, Reply, RpcError, code};
use crate::nmp::schema::{EventPush, SubscribeParams, parse_params};

/// What every connection shares.
pub(crate) struct Server {
    pub root: Arc<Root>,
    pub verifier: Option<Mutex<Verifier>>,
}

pub(crate) fn router(server: Arc<Server>) -> Router {
    Router::new()
        .route("/nmp", post(http_nmp))
        .route("/nmp/ws", get(ws_upgrade))
        .with_state(server)
}

fn json_response(text: String) -> Response {
    ([("content-type", "application/json")], text).into_response()
}

fn error_reply(id: Option<Value>, e: RpcError) -> String {
    Reply {
        id: id.unwrap_or(Value::Null),
        outcome: Err(e),
    }
    .to_json()
}

/// Why a request was not run.
pub(crate) enum Refused {
    /// Answered with this error (and the request's id, when it could be read).
    With(Option<Value>, RpcError),
    /// Not answered: a notification that failed authentication.
    Silently,
}

impl Refused {
    fn reply(self) -> Option<String> {
        match self {
            Refused::With(id, e) => Some(error_reply(id, e)),
            Refused::Silently => None,
        }
    }
}

impl Server {
    /// Checks the auth line (if the node has a key) and parses the request.
    fn admit(&self, auth: Option<&str>, body: &[u8]) -> Result<rpc::Request, Refused> {
        if let Some(v) = &self.verifier {
            let checked = match auth {
                None => Err(crate::nmp::auth::AuthError::Missing),
                Some(line) => v
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .verify(line, body),
            };
            if let Err(e) = checked {
                // The id, if the body has one, so the client can match the refusal.
                let id = rpc::parse(body).ok().map(|r| r.id);
                let e = RpcError::new(code::UNAUTHORIZED, e.to_string());
                return match id {
                    // A notification gets no reply, refused or not.
                    Some(None) => Err(Refused::Silently),
                    id => Err(Refused::With(id.flatten(), e)),
                };
            }
        }
        rpc::parse(body).map_err(|(id, e)| Refused::With(id, e))
    }

    /// Runs an admitted request; `None` for a notification.
    async fn run(&self, req: rpc::Request) -> Option<String> {
        let outcome = methods::call(&self.root, &req.method, &req.params).await;
        let id = req.id?;
        Some(Reply { id, outcome }.to_json())
    }

    /// Admits and runs a request; `None` for a notification.
    async fn handle(&self, auth: Option<&str>, body: &[u8]) -> Option<String> {
        match self.admit(auth, body) {
            Ok(req) => self.run(req).await,
            Err(refused) => refused.reply(),
        }
    }
}

/// Bytes read and thrown away after an oversized body, so its sender reads the error reply
/// (instead of a reset while still writing); past this the connection is dropped.
const DRAIN_LIMIT: usize = 64 << 20;

/// The body, or `None` if it is longer than `max` (read to its end up to [`DRAIN_LIMIT`]).
async fn read_body(body: Body, max: usize) -> Option<Vec<u8>> {
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.ok()?;
        total += chunk.len();
        if total <= max {
            kept.extend_from_slice(&chunk);
        } else if total > DRAIN_LIMIT {
            return None;
        }
    }
    (total <= max).then_some(kept)
}

async fn http_nmp(State(server): State<Arc<Server>>, headers: HeaderMap, body: Body) -> Response {
    let max = server.root.limits().max_body;
    let Some(bytes) = read_body(body, max).await else {
        return json_response(error_reply(
            None,
            RpcError::new(
                code::INVALID_REQUEST,
                format!("body larger than {max} bytes (or cut off)"),
            ),
        ));
    };
    let auth = headers.get(HEADER).and_then(|v| v.to_str().ok());
    match server.handle(auth, &bytes).await {
        Some(text) => json_response(text),
        None => axum::http::StatusCode::NO_CONTENT.into_response(),
    }
}

async fn ws_upgrade(State(server): State<Arc<Server>>, ws: WebSocketUpgrade) -> Response {
    let max = server.root.limits().max_body;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| ws_session(server, socket))
}

/// Frames a connection may have queued for sending; pushes wait when it is full.
const WS_OUT: usize = 1024;
/// Requests one connection may have running at once (long-polls included).
const WS_IN_FLIGHT: usize = 256;
/// `io.subscribe`s one connection may hold.
const WS_SUBSCRIPTIONS: usize = 16;

async fn ws_session(server: Arc<Server>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut out_rx) = mpsc::channel::<String>(WS_OUT);
    let writer = tokio::spawn(async move {
        while let Some(text) = out_rx.recv().await {
            if sink.send(WsMessage::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    let mut pushers = Vec::new();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(WS_IN_FLIGHT));
    while let Some(Ok(frame)) = stream.next().await {
        let text = match frame {
            WsMessage::Text(t) => t.to_string(),
            WsMessage::Binary(_) => {
                let e = RpcError::new(code::INVALID_REQUEST, "send requests as text frames");
                let _ = out.send(error_reply(None, e)).await;
                continue;
            }
            WsMessage::Close(_) => break,
            _ => continue,
        };
        // With a key, the first line is the auth line and the rest the body.
        let (auth, body) = match (&server.verifier, text.split_once('\n')) {
            (Some(_), Some((line, body))) => (Some(line.to_owned()), body.to_owned()),
            (Some(_), None) => (None, text),
            (None, _) => (None, text),
        };
        let req = match server.admit(auth.as_deref(), body.as_bytes()) {
            Ok(req) => req,
            Err(refused) => {
                if let Some(reply) = refused.reply() {
                    let _ = out.send(reply).await;
                }
                continue;
            }
        };
        if req.method == method::IO_SUBSCRIBE {
            pushers.retain(|h: &tokio::task::JoinHandle<()>| !h.is_finished());
            let reply = if pushers.len() >= WS_SUBSCRIPTIONS {
                Err(RpcError::new(
                    code::LIMIT,
                    format!(
                        "limit reached: at most {WS_SUBSCRIPTIONS} subscriptions per connection"
                    ),
                ))
            } else {
                subscribe(&server, &req.params, out.clone())
            };
            let reply = reply.map(|h| {
                pushers.push(h);
                json!({"subscribed": true})
            });
            if let Some(id) = req.id {
                let _ = out.send(Reply { id, outcome: reply }.to_json()).await;
            }
            continue;
        }
        // Each request runs on its own, so a long-poll does not hold up the rest.
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            let e = RpcError::new(
                code::LIMIT,
                format!("limit reached: at most {WS_IN_FLIGHT} requests in flight per connection"),
            );
            let _ = out.send(error_reply(req.id, e)).await;
            continue;
        };
        let (server, out) = (server.clone(), out.clone());
        tokio::spawn(async move {
            if let Some(reply) = server.run(req).await {
                let _ = out.send(reply).await;
            }
            drop(permit);
        });
    }
    for p in pushers {
        p.abort();
    }
    drop(out);
    let _ = writer.await;
}

/// Counts a subscription on its session while it lasts (dropped when the pusher ends or is
/// aborted with its connection); the session's timeout runs from then.
struct Subscribed {
    root: Arc<Root>,
    session: String,
}

impl Drop for Subscribed {
    fn drop(&mut self) {
        if let Some(s) = self.root.lock().session_unmarked(&self.session) {
            s.subscribers = s.subscribers.saturating_sub(1);
            s.last_seen = std::time::Instant::now();
        }
    }
}

/// Starts pushing the session's events after `after` as `io.event` notifications. Pushing does
/// not acknowledge: the client acknowledges with `io.ack` (or the next `io.poll`).
fn subscribe(
    server: &Server,
    params: &Value,
    out: mpsc::Sender<String>,
) -> Result<tokio::task::JoinHandle<()>, RpcError> {
    let p: SubscribeParams = parse_params(params)?;
    let id = p.session;
    let mut cursor = p.after.unwrap_or(0);
    let notify = {
        let mut st = server.root.lock();
        let s = st.session(&id)?;
        s.subscribers += 1;
        s.notify.clone()
    };
    let root = server.root.clone();
    let subscribed = Subscribed {
        root: root.clone(),
        session: id.clone(),
    };
    Ok(tokio::spawn(async move {
        let _subscribed = subscribed;
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let batch = {
                let mut st = root.lock();
                // Pushing is not a use: the subscription itself keeps the session.
                let Some(s) = st.session_unmarked(&id) else {
                    return;
                };
                s.events
                    .has_after(cursor)
                    .then(|| s.events_after(cursor, 1000))
            };
            if let Some(b) = batch {
                cursor = b.events.last().map_or(cursor, |e| e.seq);
                let push = EventPush {
                    session: id.clone(),
                    events: b.events,
                    last: b.last,
                    dropped: b.dropped,
                };
                let Ok(params) = serde_json::to_value(push) else {
                    return;
                };
                if out
                    .send(rpc::notification(method::IO_EVENT, params))
                    .await
                    .is_err()
                {
                    return;
                }
                continue;
            }
            let _ = tokio::time::timeout(Duration::from_secs(5), notified).await;
        }
    }))
}
