// @porthole/agent-bridge: the cluster agent (`agent/`) and the localhost bridge for kubectl
// (`bridge/`). Built by issue #4; it has no public API yet.
export {};
