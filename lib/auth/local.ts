import { HttpError } from "@/lib/http/errors";
import { isStoreError, type Store, type User } from "@/lib/store/types";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "./password";
import type { LoginInput, RegisterInput } from "./schemas";
import { hashSessionToken, isWellFormedSessionToken, newSessionToken, SESSION_TTL_MS } from "./session";

export interface IssuedSession {
  user: User;
  token: string;
  expiresAt: number;
}

export const invalidCredentials = () => new HttpError(401, "invalid_credentials", "Email or password is incorrect.");

async function issueSession(store: Store, user: User): Promise<IssuedSession> {
  const token = newSessionToken();
  const expiresAt = Date.now() + SESSION_TTL_MS;
  await store.createSession(hashSessionToken(token), user.id, expiresAt);
  return { user, token, expiresAt };
}

/** Creates the account (with its trial credits) and signs it in. */
export async function registerLocalAccount(store: Store, input: RegisterInput): Promise<IssuedSession> {
  const passwordHash = await hashPassword(input.password);
  let user: User;
  try {
    user = await store.createLocalAccount({ email: input.email, name: input.name, passwordHash });
  } catch (err) {
    if (isStoreError(err, "conflict")) {
      throw new HttpError(409, "conflict", "An account with this email already exists. Sign in instead.");
    }
    throw err;
  }
  return issueSession(store, user);
}

export async function loginLocalAccount(store: Store, input: LoginInput): Promise<IssuedSession> {
  const credentials = await store.getLocalCredentials(input.email);
  if (!credentials) {
    await verifyAgainstDummy(input.password);
    throw invalidCredentials();
  }
  if (!(await verifyPassword(input.password, credentials.passwordHash))) throw invalidCredentials();
  const user = await store.getUser(credentials.userId);
  if (!user) throw invalidCredentials();
  return issueSession(store, user);
}

export async function endLocalSession(store: Store, token: string | undefined): Promise<void> {
  if (token && isWellFormedSessionToken(token)) await store.deleteSession(hashSessionToken(token));
}

export async function userFromSessionToken(store: Store, token: string | undefined): Promise<User | null> {
  if (!token || !isWellFormedSessionToken(token)) return null;
  const session = await store.getSession(hashSessionToken(token));
  if (!session) return null;
  return store.getUser(session.userId);
}
