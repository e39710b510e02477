/**
 * The kernel side: which kernels, which language snippet, how the secret travels.
 */
export * from './injector';
export * from './languages';
