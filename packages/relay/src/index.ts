// @porthole/relay: the Hybrid Connections–compatible relay and the control plane. Built by
// issues #3 and #6; it has no public API yet.
export {};
