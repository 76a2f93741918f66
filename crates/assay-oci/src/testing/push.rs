//! Pushing generated images to a test registry with oci-client, so registry tests start from
//! an image whose every digest the test knows.

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;

use super::BuiltImage;
use crate::media_type;

/// A client for one plain-HTTP test registry (`127.0.0.1:PORT`).
pub struct Pusher {
    runtime: tokio::runtime::Runtime,
    client: oci_client::Client,
    host: String,
    auth: RegistryAuth,
}

impl std::fmt::Debug for Pusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pusher")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl Pusher {
    /// A pusher for the registry at `host`.
    ///
    /// # Panics
    /// When no tokio runtime can be built (test support only).
    #[allow(clippy::unwrap_used)]
    pub fn new(host: &str) -> Pusher {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let client = oci_client::Client::new(ClientConfig {
            protocol: ClientProtocol::Http,
            ..ClientConfig::default()
        });
        Pusher {
            runtime,
            client,
            host: host.to_string(),
            auth: RegistryAuth::Anonymous,
        }
    }

    /// A pusher for a registry that wants basic credentials (assay-testkit's auth registry).
    pub fn with_basic_auth(host: &str, username: &str, password: &str) -> Pusher {
        Pusher {
            auth: RegistryAuth::Basic(username.to_string(), password.to_string()),
            ..Pusher::new(host)
        }
    }

    fn reference(&self, repo: &str, tag: &str) -> oci_client::Reference {
        oci_client::Reference::with_tag(self.host.clone(), repo.to_string(), tag.to_string())
    }

    /// Pushes the blobs, then the raw manifest bytes, so digests stay those the builder computed.
    ///
    /// # Panics
    /// When the registry refuses (test support only).
    #[allow(clippy::unwrap_used)]
    pub fn push_image(&self, repo: &str, tag: &str, image: &BuiltImage) {
        let r = self.reference(repo, tag);
        self.runtime.block_on(async {
            self.client
                .auth(&r, &self.auth, oci_client::RegistryOperation::Push)
                .await
                .unwrap();
            for (digest, bytes) in image.blobs().into_iter().skip(1) {
                self.client
                    .push_blob(&r, bytes, &digest.to_string())
                    .await
                    .unwrap();
            }
            let content_type = http::HeaderValue::from_static(media_type::OCI_MANIFEST);
            self.client
                .push_manifest_raw(&r, image.manifest_bytes.clone(), content_type)
                .await
                .unwrap();
        });
    }

    /// Pushes raw index bytes under `tag` (the manifests it names must be there already).
    ///
    /// # Panics
    /// When the registry refuses (test support only).
    #[allow(clippy::unwrap_used)]
    pub fn push_index(&self, repo: &str, tag: &str, bytes: Vec<u8>) {
        let r = self.reference(repo, tag);
        let content_type = http::HeaderValue::from_static(media_type::OCI_INDEX);
        self.runtime
            .block_on(self.client.push_manifest_raw(&r, bytes, content_type))
            .unwrap();
    }
}
