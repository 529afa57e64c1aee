//! The MCP server itself: capabilities, resources and their subscriptions, and the sandbox
//! warning. The tools live in `tools.rs`; both reach the tree only through [`Backend`].
//!
//! `resources/subscribe` and `notifications/message` are deprecated by the 2026-07-28
//! protocol (SEP-2577, `subscriptions/listen`) but are what 2025-11-25 clients speak, so
//! both generations are served: hence the `deprecated` allowance.
#![allow(deprecated)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    Implementation, ListResourceTemplatesResult, ListResourcesResult, LoggingLevel,
    LoggingMessageNotificationParam, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, ResourceUpdatedNotificationParam, ServerCapabilities,
    ServerConfig, SubscribeRequestParams, SubscriptionFilter, UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, Peer, RequestContext, SubscriptionContext};
use rmcp::{tool_handler, ErrorData, RoleServer, ServerHandler};
use serde_json::json;

use crate::backend::Backend;
use crate::log;
use crate::resources::{self, Changes};

/// One MCP session's server (HTTP makes one per session; stdio has one).
#[derive(Clone)]
pub struct Pm2Mcp {
    pub(crate) backend: Backend,
    pub(crate) tool_router: ToolRouter<Self>,
    warning: Option<Arc<str>>,
    subscribed: Arc<Mutex<Subscribed>>,
}

/// The URIs a session subscribed to (`resources/subscribe`), and whether it is watched.
#[derive(Default)]
struct Subscribed {
    uris: BTreeSet<String>,
    watching: bool,
}

impl Pm2Mcp {
    /// A session's server on this backend; `warning` is sent to the client once it is
    /// initialised (the sandbox notice).
    pub fn new(backend: Backend, warning: Option<Arc<str>>) -> Pm2Mcp {
        Pm2Mcp {
            backend,
            tool_router: Self::tool_router(),
            warning,
            subscribed: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Subscribed> {
        self.subscribed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Watches the tree for this session while it has subscriptions.
    fn watch(&self, mut changes: Changes, peer: Peer<RoleServer>) {
        let server = self.clone();
        tokio::spawn(async move {
            loop {
                let changed = changes.next().await;
                let wanted: Vec<String> = {
                    let mut subscribed = server.lock();
                    // Nobody left to tell: unsubscribed, or the session is gone.
                    if subscribed.uris.is_empty() || peer.is_transport_closed() {
                        subscribed.watching = false;
                        return;
                    }
                    changed
                        .into_iter()
                        .filter(|uri| subscribed.uris.contains(uri))
                        .collect()
                };
                for uri in wanted {
                    log::debug(&format!("resource updated: {uri}"));
                    let param = ResourceUpdatedNotificationParam::new(uri);
                    if peer.notify_resource_updated(param).await.is_err() {
                        server.lock().watching = false;
                        return;
                    }
                }
            }
        });
    }
}

fn invalid(message: String) -> ErrorData {
    ErrorData::invalid_params(message, None)
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Pm2Mcp {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_logging()
            .build();
        let mut instructions = String::from(
            "Manage PM2 processes: list, describe, start, restart, reload, stop, delete, \
             tail and search logs, dump, kill. `process` is an id, an app name or \"all\". \
             Resources: pm2://processes and pm2://process/{id} (subscribe for changes).",
        );
        if let Some(warning) = &self.warning {
            instructions.push(' ');
            instructions.push_str(warning);
        }
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("pm2-mcp", pm2_protocol::VERSION))
            .with_instructions(instructions)
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        let Some(warning) = &self.warning else { return };
        let param = LoggingMessageNotificationParam::new(
            LoggingLevel::Warning,
            json!({ "message": warning.as_ref() }),
        );
        if let Err(e) = context.peer.notify_logging_message(param).await {
            log::debug(&format!("cannot send the sandbox warning: {e}"));
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(resources::listed()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let contents = resources::read(&self.backend, &request.uri)
            .await
            .map_err(|e| ErrorData::resource_not_found(e, None))?;
        let mut result = ReadResourceResult::new(vec![contents]);
        // Live state: a client must not serve it from a cache.
        result.ttl_ms = Some(0);
        Ok(result.into())
    }

    #[allow(deprecated)]
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        resources::parse(&request.uri).map_err(invalid)?;
        // The first look is taken before answering, so a change right after is seen.
        let changes = Changes::start(self.backend.clone()).await;
        let start = {
            let mut subscribed = self.lock();
            subscribed.uris.insert(request.uri);
            !std::mem::replace(&mut subscribed.watching, true)
        };
        if start {
            self.watch(changes, context.peer);
        }
        Ok(())
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.lock().uris.remove(&request.uri);
        Ok(())
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let uris = requested
            .resource_subscriptions
            .iter()
            .flatten()
            .filter(|uri| resources::parse(uri).is_ok())
            .cloned();
        Some(
            SubscriptionFilter::builder()
                .resource_subscriptions(uris)
                .build(),
        )
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let uris: BTreeSet<String> = context
            .accepted()
            .resource_subscriptions
            .iter()
            .flatten()
            .cloned()
            .collect();
        let mut changes = Changes::start(self.backend.clone()).await;
        loop {
            tokio::select! {
                _ = context.cancelled() => return Ok(()),
                changed = changes.next() => {
                    for uri in changed.into_iter().filter(|uri| uris.contains(uri)) {
                        if context.sink().notify_resource_updated(uri).await.is_err() {
                            return Ok(());
                        }
                    }
                }
            }
        }
    }
}
