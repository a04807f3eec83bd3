// @porthole/web: the console and the embeddable web components. Built by issue #7; it has no
// public API yet.
export {};
