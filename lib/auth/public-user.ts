import type { Plan, User } from "@/lib/store/types";

/** What the browser may see about a user. */
export interface PublicUser {
  id: string;
  email: string;
  name: string;
  plan: Plan;
  tokenBalance: number;
}

export function toPublicUser(user: User): PublicUser {
  return { id: user.id, email: user.email, name: user.name, plan: user.plan, tokenBalance: user.tokenBalance };
}
