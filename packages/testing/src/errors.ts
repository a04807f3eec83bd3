import {PortholeError} from '@porthole/core';

/**
 * Stable error codes raised by `@porthole/testing`, listed in `docs/errors.md`.
 */
export type TestingErrorCode =
  | 'ERR_TOOLCHAIN_MISSING'
  | 'ERR_TOOLCHAIN_BUILD_FAILED'
  | 'ERR_CLUSTER_START_FAILED'
  | 'ERR_CLUSTER_COMPONENT_EXITED'
  | 'ERR_KUBE_API_REQUEST'
  | 'ERR_FORWARD_PROXY_START_FAILED';

/** An error raised while building or running the test cluster. */
export class TestingError extends PortholeError<TestingErrorCode> {}
