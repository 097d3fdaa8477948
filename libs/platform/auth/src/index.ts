export * from './principal';
export * from './token-verifier';
export * from './local-issuer';
export * from './nest';
export * from './local-sign-in';
