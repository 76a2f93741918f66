//! `assay admission serve | manifests | export`: the image admission webhook, what installs
//! it, and its policy translated for Kyverno and the sigstore policy-controller.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use assay_cluster::admission::{
    self, LogEvent, Policy, RegistryVerifier, TlsFiles, Webhook, manifests,
};

use crate::exit::{self, Failure};
use crate::output;

/// `assay admission` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AdmissionCommand {
    /// Run the validating admission webhook over HTTPS (POST /validate, GET /healthz, /readyz).
    #[command(after_help = EXAMPLES)]
    Serve(ServeArgs),
    /// Print what installs the webhook: Namespace, ServiceAccount, ConfigMap, Deployment,
    /// Service and ValidatingWebhookConfiguration.
    #[command(after_help = EXAMPLES)]
    Manifests(ManifestsArgs),
    /// Translate the policy into a Kyverno ClusterPolicy or a policy-controller
    /// ClusterImagePolicy.
    #[command(after_help = EXAMPLES)]
    Export(ExportArgs),
}

/// `assay admission --help` examples.
pub const EXAMPLES: &str = "\
Examples:
  assay admission serve --policy admission.yaml --cert tls.crt --key tls.key
  assay admission manifests --policy admission.yaml --ca-file ca.crt \\
      --image registry.example.com/tools/assay@sha256:... | kubectl apply -f -
  assay admission export --kyverno --policy admission.yaml > clusterpolicy.yaml
  assay admission export --policy-controller --policy admission.yaml

Exit codes: 0 ok; 2 usage or input error (bad policy, certificate or key).";

/// `assay admission serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The admission policy (YAML; see docs/admission.md).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// PEM certificate chain served (re-read when it changes).
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// PEM private key of the certificate (re-read when it changes).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// How often the certificate files are checked for changes, in seconds.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    pub reload_interval: u64,
}

/// `assay admission manifests`.
#[derive(Debug, clap::Args)]
pub struct ManifestsArgs {
    /// The admission policy (embedded in a ConfigMap with its keys).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// PEM CA certificate that signed the webhook's serving certificate (the caBundle).
    #[arg(long, value_name = "FILE")]
    pub ca_file: PathBuf,
    /// The assay image the webhook runs (pin it by digest).
    #[arg(long, value_name = "IMAGE")]
    pub image: String,
    /// Namespace to install into.
    #[arg(long, default_value = "assay-system")]
    pub namespace: String,
    /// Replicas of the webhook Deployment.
    #[arg(long, default_value_t = 2)]
    pub replicas: u32,
    /// Webhook timeoutSeconds (1-30).
    #[arg(long, default_value_t = 10)]
    pub timeout: u32,
    /// A kubernetes.io/dockerconfigjson Secret with credentials for private registries.
    #[arg(long, value_name = "SECRET")]
    pub registry_secret: Option<String>,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `assay admission export`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("engine").required(true).args(["kyverno", "policy_controller"])))]
pub struct ExportArgs {
    /// The admission policy.
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// A Kyverno ClusterPolicy with verifyImages.
    #[arg(long)]
    pub kyverno: bool,
    /// A sigstore policy-controller ClusterImagePolicy.
    #[arg(long)]
    pub policy_controller: bool,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn load_policy(path: &std::path::Path) -> Result<Policy, Failure> {
    Policy::load(path).map_err(|e| Failure::input(e.to_string()))
}

/// Runs an `assay admission` subcommand.
pub fn run(command: &AdmissionCommand) -> anyhow::Result<u8> {
    match command {
        AdmissionCommand::Serve(args) => serve(args),
        AdmissionCommand::Manifests(args) => {
            let policy = load_policy(&args.policy)?;
            let ca_pem = std::fs::read_to_string(&args.ca_file).map_err(|e| {
                Failure::input(format!(
                    "{}: {}",
                    args.ca_file.display(),
                    e.to_string().to_lowercase()
                ))
            })?;
            let options = manifests::ManifestOptions {
                namespace: args.namespace.clone(),
                image: args.image.clone(),
                ca_pem,
                replicas: args.replicas,
                timeout_seconds: args.timeout,
                registry_secret: args.registry_secret.clone(),
            };
            let objects = manifests::manifests(&policy, &options)
                .map_err(|e| Failure::input(format!("{}: {e}", args.ca_file.display())))?;
            output::emit(
                args.output.as_deref(),
                manifests::to_yaml(&objects).as_bytes(),
            )?;
            Ok(exit::OK)
        }
        AdmissionCommand::Export(args) => {
            let policy = load_policy(&args.policy)?;
            let objects = if args.kyverno {
                manifests::kyverno(&policy)
            } else {
                manifests::policy_controller(&policy)
            };
            output::emit(
                args.output.as_deref(),
                manifests::to_yaml(&objects).as_bytes(),
            )?;
            Ok(exit::OK)
        }
    }
}

/// One JSON object per line on stdout: decisions, reloads, start-up.
#[allow(clippy::print_stdout)]
fn log_line(event: &LogEvent) {
    if let Ok(line) = serde_json::to_string(event) {
        println!("{line}");
    }
}

fn serve(args: &ServeArgs) -> anyhow::Result<u8> {
    let policy = load_policy(&args.policy)?;
    let verifier = RegistryVerifier::new(&policy.keys, &policy.file.insecure_registries)
        .map_err(|e| Failure::input(e.to_string()))?;
    let files = TlsFiles {
        cert: args.cert.clone(),
        key: args.key.clone(),
        reload_interval: Duration::from_secs(args.reload_interval.max(1)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::input(format!("cannot start the runtime: {e}")))?;
    let webhook = Arc::new(Webhook::new(policy, Arc::new(verifier)));
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Failure::input(format!("cannot listen on {}: {e}", args.listen)))?;
        admission::serve(
            listener,
            webhook,
            files,
            Arc::new(log_line),
            admission::shutdown_signal(),
        )
        .await
        .map_err(|e| Failure::input(e.to_string()))
    })?;
    Ok(exit::OK)
}
