//! Command-line arguments: clap structs whose doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Plan and apply managed Kubernetes clusters on Huawei CCE Autopilot, Alibaba ACK and JD Cloud
#[derive(Debug, Parser)]
#[command(name = "clusterform", version, about, max_term_width = 100)]
pub struct Cli {
    /// Never colour output (also honoured: the NO_COLOR environment variable)
    #[arg(long, global = true)]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a stack's configuration without reading state or the cloud
    Validate(ValidateArgs),
    /// Rewrite a stack's files in canonical format, keeping comments
    Fmt(FmtArgs),
    /// Show what apply would change
    Plan(PlanArgs),
    /// Apply a stack's configuration, or a saved plan
    Apply(ApplyArgs),
    /// Delete every object a stack manages
    Destroy(DestroyArgs),
    /// Update state from the cloud without changing anything
    Refresh(RefreshArgs),
    /// Record an existing cloud object in state under a resource address
    Import(ImportArgs),
    /// Show a saved plan, or the current state
    Show(ShowArgs),
    /// Show output values
    Output(OutputArgs),
    /// Print the dependency graph as DOT
    Graph(GraphArgs),
    /// Inspect or edit the recorded state
    #[command(subcommand)]
    State(StateCommand),
    /// Remove a lock left by a run that is gone
    ForceUnlock(ForceUnlockArgs),
    /// Huawei Cloud actions outside the declarative model (rollback, upgrade retry and cancel)
    #[command(subcommand)]
    Huawei(HuaweiCommand),
}

#[derive(Debug, Subcommand)]
pub enum HuaweiCommand {
    /// Roll a managed add-on back to its previous version and wait until it runs
    AddonRollback(HuaweiAddrArgs),
    /// Retry a managed cluster's failed upgrade task
    UpgradeRetry(HuaweiAddrArgs),
    /// Cancel a managed cluster's upgrade workflow (allowed while no step runs)
    UpgradeCancel(HuaweiCancelArgs),
}

#[derive(Debug, Args)]
pub struct HuaweiAddrArgs {
    /// The resource address in state, e.g. huawei_autopilot_addon.coredns
    pub address: String,
    /// The stack directory
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub var: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct HuaweiCancelArgs {
    /// The cluster's address in state
    pub address: String,
    /// The upgrade workflow's id
    pub workflow_id: String,
    /// The stack directory
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub var: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

/// Where the stack is and how its variables are set.
#[derive(Debug, Args, Clone)]
pub struct StackArgs {
    /// The stack directory (its *.toml files are read together)
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub var: VarArgs,
}

/// How the stack's variables are set (besides defaults and `CLUSTERFORM_VAR_NAME`).
#[derive(Debug, Args, Clone, Default)]
pub struct VarArgs {
    /// Set a variable (repeatable); the value is read as TOML when it parses, else as a string
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a TOML file (repeatable; later files win)
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

impl VarArgs {
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty() && self.var_files.is_empty()
    }
}

/// How the state lock is taken.
#[derive(Debug, Args, Clone)]
pub struct LockArgs {
    /// Take the state lock (`--lock=false` skips it: only when nothing else can run)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub lock: bool,
    /// How long to wait for the lock, e.g. 30s, 5m
    #[arg(long, default_value = "0s", value_name = "DURATION")]
    pub lock_timeout: String,
}

/// What a plan covers.
#[derive(Debug, Args, Clone)]
pub struct PlanShapeArgs {
    /// Read the cloud before planning (`--refresh=false` plans against recorded state only)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,
    /// Limit the plan to these resources and what they depend on (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    /// Plan to replace this resource even if nothing changed (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Allow a change of this resource that needs a new object (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub allow_replace: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Stack directories or files
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Change nothing; exit 1 when a file would change
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub shape: PlanShapeArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Save the plan to this file for `apply FILE`
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when the plan has changes (0 none, 1 error)
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print the plan as JSON on stdout
    #[arg(long)]
    pub json: bool,
    /// Also write the plan as Markdown (for a pull-request comment) to this file
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Plan to destroy everything the stack manages
    #[arg(long)]
    pub destroy: bool,
    /// Run the cloud's pre-upgrade checks for planned upgrades (creates check tasks)
    #[arg(long)]
    pub precheck: bool,
}

/// How an apply runs.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Apply without asking for `yes`
    #[arg(long)]
    pub auto_approve: bool,
    /// How many actions may run at once
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    /// Print progress as JSON lines on stderr
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The stack directory, or a plan file saved by `plan --out` (which keeps the options and
    /// variables it was made with)
    #[arg(default_value = ".")]
    pub target_path: PathBuf,
    #[command(flatten)]
    pub var: VarArgs,
    #[command(flatten)]
    pub shape: PlanShapeArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub run: RunArgs,
    /// Limit to these resources and what depends on them (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Print progress as JSON lines on stderr
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The resource address to record the object under, e.g. huawei_autopilot_cluster.prod
    pub address: String,
    /// The object's id in the cloud
    pub id: String,
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan file saved by `plan --out`; without it, the stack's state is shown
    pub file: Option<PathBuf>,
    /// The stack directory (when showing state)
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub var: VarArgs,
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Only this output
    pub name: Option<String>,
    /// The stack directory
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub var: VarArgs,
    /// Print as JSON (a sensitive output's value only when asked for by NAME)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphType {
    /// Dependencies between resources
    Plan,
    /// The order apply carries out the plan's actions in
    Apply,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Which graph
    #[arg(long = "type", value_enum, default_value_t = GraphType::Plan)]
    pub kind: GraphType,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the recorded resource addresses
    List(StateListArgs),
    /// Show one recorded resource
    Show(StateAddrArgs),
    /// Forget a resource without deleting it in the cloud
    Rm(StateAddrArgs),
    /// Record a resource under a new address
    Mv(StateMvArgs),
}

#[derive(Debug, Args)]
pub struct StateDirArgs {
    /// The stack directory
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub var: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct StateListArgs {
    /// Only addresses matching these (a block address matches its instances)
    pub filter: Vec<String>,
    #[command(flatten)]
    pub at: StateDirArgs,
}

#[derive(Debug, Args)]
pub struct StateAddrArgs {
    pub address: String,
    #[command(flatten)]
    pub at: StateDirArgs,
}

#[derive(Debug, Args)]
pub struct StateMvArgs {
    pub source: String,
    pub destination: String,
    #[command(flatten)]
    pub at: StateDirArgs,
}

#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    /// The lock id shown in the "state is locked" message
    pub lock_id: String,
    /// The stack directory
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub var: VarArgs,
}
