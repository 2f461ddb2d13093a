//! The studio's HTTP side: the page and its scripts (embedded), the network as a download,
//! and the WebSocket every browser talks over.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{broadcast, mpsc};
use vnet_sim::netfile::NetworkFile;

use crate::protocol::{ClientMessage, MAX_FRAME, ServerMessage};
use crate::session::{self, Command};

/// How to start a studio.
#[derive(Clone, Debug)]
pub struct StudioConfig {
    /// The network file to open (and save back to); `None`: an empty network.
    pub file: Option<PathBuf>,
    /// Where to listen; a port of 0 picks a free one.
    pub listen: SocketAddr,
    /// The master seed (default: the file's).
    pub seed: Option<u64>,
}

/// Why a studio did not start.
#[derive(Debug, thiserror::Error)]
pub enum StudioError {
    /// The network file does not load or build.
    #[error("{0}")]
    Network(String),
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {message}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The system's message.
        message: String,
    },
}

/// A started studio.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The URL to open (with the token, when one is needed).
    pub url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Serves until the process ends.
    pub async fn wait(self) {
        let _ = self.server.await;
    }
}

struct Shared {
    commands: Mutex<std::sync::mpsc::Sender<Command>>,
    out: broadcast::Sender<Arc<str>>,
    token: Option<String>,
    file: Arc<Mutex<NetworkFile>>,
}

/// Loads the file, starts the simulation thread, binds, and serves in the background.
pub async fn start(config: StudioConfig) -> Result<Running, StudioError> {
    let file = match &config.file {
        Some(p) => NetworkFile::load(p).map_err(|e| StudioError::Network(e.to_string()))?,
        None => NetworkFile::default(),
    };
    let seed = config.seed.or(file.run.seed).or(file.seed).unwrap_or(0);
    // The simulation thread reads the program files, builds and connects any P-nodes, and says
    // whether it could before anything is served.
    let net = session::Network::new(file.clone(), session::base_of(config.file.as_deref()))
        .map_err(StudioError::Network)?;
    let (tx, rx) = std::sync::mpsc::channel();
    let (out, _) = broadcast::channel(256);
    let thread_out = out.clone();
    let path = config.file.clone();
    let published = Arc::new(Mutex::new(file));
    let thread_published = published.clone();
    let handle = tokio::runtime::Handle::current();
    let (ready_tx, ready) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("vnet-studio-sim".into())
        .spawn(move || {
            session::run(
                net,
                path,
                seed,
                rx,
                thread_out,
                thread_published,
                handle,
                ready_tx,
            )
        })
        .map_err(|e| StudioError::Network(format!("cannot start the simulation thread: {e}")))?;
    tokio::task::spawn_blocking(move || ready.recv())
        .await
        .map_err(|e| StudioError::Network(e.to_string()))?
        .map_err(|_| StudioError::Network("the simulation thread ended".into()))?
        .map_err(StudioError::Network)?;
    let token = (!config.listen.ip().is_loopback()).then(|| {
        use rand::RngExt;
        let mut rng = rand::rng();
        (0..32)
            .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
            .collect::<String>()
    });
    let shared = Arc::new(Shared {
        commands: Mutex::new(tx),
        out,
        token: token.clone(),
        file: published,
    });
    let app = Router::new()
        .route("/network.json", get(network))
        .route("/ws", get(ws_upgrade))
        .fallback(get(asset))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| StudioError::Listen {
            addr: config.listen,
            message: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| StudioError::Listen {
        addr: config.listen,
        message: e.to_string(),
    })?;
    let url = match &token {
        Some(t) => format!("http://{addr}/?token={t}"),
        None => format!("http://{addr}/"),
    };
    // Small frames go out at once (no Nagle delay): a step's batch is one small frame.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(Running { addr, url, server })
}

type Params = Query<HashMap<String, String>>;

/// The cookie a browser that opened the studio's URL with its token keeps, so that the
/// page's own requests (scripts, styles, the WebSocket) need not carry the token, as Jupyter
/// does.
const COOKIE: &str = "vnet_studio_token";

/// Whether a request may proceed: always on loopback, elsewhere with the token in the query or
/// in the cookie.
fn allowed(shared: &Shared, q: &Params, headers: &HeaderMap) -> bool {
    let Some(t) = &shared.token else { return true };
    if q.get("token") == Some(t) {
        return true;
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(k, v)| k == COOKIE && v == t)
}

fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        "this studio needs ?token=… from its URL",
    )
        .into_response()
}

/// The page and its files, embedded in the binary.
async fn asset(
    State(s): State<Arc<Shared>>,
    q: Params,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    if !allowed(&s, &q, &headers) {
        return refused();
    }
    let Some((kind, body)) = crate::assets::asset(uri.path()) else {
        return (StatusCode::NOT_FOUND, "no such file in the studio").into_response();
    };
    let mut response = ([(header::CONTENT_TYPE, kind)], body).into_response();
    if let Some(t) = &s.token
        && let Ok(v) = format!("{COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict").parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

async fn network(State(s): State<Arc<Shared>>, q: Params, headers: HeaderMap) -> Response {
    if !allowed(&s, &q, &headers) {
        return refused();
    }
    let text = match s.file.lock() {
        Ok(f) => f.to_json(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"network.json\"",
            ),
        ],
        text,
    )
        .into_response()
}

async fn ws_upgrade(
    State(s): State<Arc<Shared>>,
    q: Params,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !allowed(&s, &q, &headers) {
        return refused();
    }
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| session_socket(s, socket))
}

/// Frames one browser may have waiting; a browser that falls further behind skips batches.
const OUT_QUEUE: usize = 256;

fn send_command(s: &Shared, c: Command) -> bool {
    s.commands
        .lock()
        .map(|tx| tx.send(c).is_ok())
        .unwrap_or(false)
}

async fn session_socket(s: Arc<Shared>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (reply, mut replies) = mpsc::channel::<Arc<str>>(OUT_QUEUE);
    let mut broadcasts = s.out.subscribe();
    if !send_command(&s, Command::Hello(reply.clone())) {
        return;
    }
    let writer = tokio::spawn(async move {
        loop {
            let text = tokio::select! {
                r = replies.recv() => match r { Some(t) => t, None => break },
                b = broadcasts.recv() => match b {
                    Ok(t) => t,
                    // Fell behind: skip what was missed; the next batch has the clock.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            };
            if sink
                .send(WsMessage::Text(text.to_string().into()))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    while let Some(Ok(frame)) = stream.next().await {
        let text = match frame {
            WsMessage::Text(t) => t.to_string(),
            WsMessage::Close(_) => break,
            WsMessage::Binary(_) => {
                let e = ServerMessage::Error {
                    message: "send commands as text frames".into(),
                };
                let _ = reply
                    .send(serde_json::to_string(&e).unwrap_or_default().into())
                    .await;
                continue;
            }
            _ => continue,
        };
        match ClientMessage::parse(&text) {
            Ok(m) => {
                if !send_command(&s, Command::Client(m, reply.clone())) {
                    break;
                }
            }
            Err(message) => {
                let e = ServerMessage::Error { message };
                let _ = reply
                    .send(serde_json::to_string(&e).unwrap_or_default().into())
                    .await;
            }
        }
    }
    writer.abort();
}
