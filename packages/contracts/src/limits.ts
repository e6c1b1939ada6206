/** Every limit of the public contract, in one place for the servers and the client. */
export const LIMITS = {
  emailMaxLength: 254,
  usernameMinLength: 3,
  usernameMaxLength: 32,
  passwordMinLength: 8,
  /** bcrypt reads no more than 72 bytes, so no more is accepted. */
  passwordMaxBytes: 72,
  roomNameMaxLength: 64,
  messageMaxLength: 4000,
  clientIdMaxLength: 64,
  restBodyMaxBytes: 64 * 1024,
  pageLimitMax: 100,
  roomsPageDefault: 20,
  messagesPageDefault: 50,
  loginFailuresPerWindow: 10,
  loginWindowSeconds: 15 * 60,
  messageBurst: 30,
  messagesPerSecond: 10,
} as const;
