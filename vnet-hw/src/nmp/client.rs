//! An NMP client over HTTP POST: signs each request when it has a key, and turns JSON-RPC errors
//! into [`ClientError::Rpc`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), vnet_hw::nmp::client::ClientError> {
//! use serde_json::json;
//! use vnet_hw::nmp::client::Client;
//! use vnet_hw::nmp::client::Transport;
//! use vnet_hw::nmp::schema::{CreateParams, Lang, NoParams, SessionOpen, VmCreate};
//! let node = Client::new("http://127.0.0.1:7700", None);
//! // Typed: the schema's parameter and result types.
//! let session = node.request::<SessionOpen>(&NoParams {}).await?.session;
//! let code = "print('hi')".to_owned();
//! let params = CreateParams { session, lang: Lang::Lua, code, ports: None, params: None };
//! let vm = node.request::<VmCreate>(&params).await?.vm;
//! // Or raw JSON.
//! let info = node.call("node.info", json!({})).await?;
//! # Ok(()) }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::auth::{HEADER, Key};
use super::rpc::{Reply, Request, RpcError};
use super::schema::Method;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node could not be reached, or did not answer in time.
    #[error("NMP transport to {url}: {source}")]
    Transport {
        /// The node's URL.
        url: String,
        /// The HTTP error.
        source: reqwest::Error,
    },
    /// The node answered with something that is not a JSON-RPC reply.
    #[error("NMP reply from {url} is not JSON-RPC: {what}")]
    BadReply {
        /// The node's URL.
        url: String,
        /// What was wrong.
        what: String,
    },
    /// The node answered with a JSON-RPC error.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// A serial line failed or the board did not answer in time.
    #[error("NMP over serial to {board}: {what}")]
    Serial {
        /// The board, as `"<port> #<address>"`.
        board: String,
        /// What went wrong.
        what: String,
    },
    /// What was waited for did not happen in time.
    #[error("{node}: {what}")]
    Timeout {
        /// The node (a URL or a serial board).
        node: String,
        /// What did not happen.
        what: String,
    },
}

/// Something NMP calls can be made over: HTTP ([`Client`]) or a serial line
/// ([`crate::uart::client::SerialClient`]).
pub trait Transport: Clone + Send + Sync + 'static {
    /// Calls `method` with `params` and returns its result.
    fn call(
        &self,
        method: &str,
        params: Value,
    ) -> impl std::future::Future<Output = Result<Value, ClientError>> + Send;
    /// Where calls go, for messages.
    fn describe(&self) -> String;

    /// Calls method `M` with its typed parameters; its typed result (a reply that does not
    /// match the schema is [`ClientError::BadReply`]).
    fn request<M: Method>(
        &self,
        params: &M::Params,
    ) -> impl std::future::Future<Output = Result<M::Result, ClientError>> + Send {
        let params = serde_json::to_value(params);
        async move {
            let bad = |what: String| ClientError::BadReply {
                url: self.describe(),
                what,
            };
            let params = params.map_err(|e| bad(format!("{}: {e}", M::NAME)))?;
            let result = self.call(M::NAME, params).await?;
            serde_json::from_value(result).map_err(|e| bad(format!("{}: {e}", M::NAME)))
        }
    }
}

impl Transport for Client {
    fn call(
        &self,
        method: &str,
        params: Value,
    ) -> impl std::future::Future<Output = Result<Value, ClientError>> + Send {
        Client::call(self, method, params)
    }
    fn describe(&self) -> String {
        self.url.clone()
    }
}

/// A client of one node.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    key: Option<Key>,
    next_id: std::sync::Arc<AtomicU64>,
}

impl Client {
    /// A client of the node at `base` (`http://host:port`), signing with `key` if given.
    pub fn new(base: &str, key: Option<Key>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_default();
        Client {
            http,
            url: format!("{}/nmp", base.trim_end_matches('/')),
            key,
            next_id: Default::default(),
        }
    }

    /// The URL requests go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Calls `method` with `params` and returns its result.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = Request {
            id: Some(id.into()),
            method: method.to_owned(),
            params,
        }
        .to_json();
        self.post(body.into_bytes()).await
    }

    /// Posts a raw body (signed if the client has a key) and reads the reply.
    pub async fn post(&self, body: Vec<u8>) -> Result<Value, ClientError> {
        let transport = |source| ClientError::Transport {
            url: self.url.clone(),
            source,
        };
        let mut req = self
            .http
            .post(&self.url)
            .header("content-type", "application/json");
        if let Some(k) = &self.key {
            req = req.header(HEADER, k.sign_now(&body));
        }
        let text = req
            .body(body)
            .send()
            .await
            .map_err(transport)?
            .text()
            .await
            .map_err(transport)?;
        let bad = |what: String| ClientError::BadReply {
            url: self.url.clone(),
            what,
        };
        let v: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let reply = Reply::from_value(&v).ok_or_else(|| bad(text.chars().take(200).collect()))?;
        Ok(reply.outcome?)
    }
}
