//! Pure planner: config and refreshed state to a dependency graph and a Plan.
