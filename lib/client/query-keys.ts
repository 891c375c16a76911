/**
 * The one place for react-query keys of workspace server data. Panels that
 * change files (Run: on `file_written` / `done`) invalidate these:
 *   queryClient.invalidateQueries({ queryKey: filesKey(projectId) })   // tree + every open file
 *   queryClient.invalidateQueries({ queryKey: versionsKey(projectId) })
 * fileKey is nested under filesKey, so invalidating filesKey refreshes open files too.
 */

export const projectKey = (projectId: string) => ["project", projectId] as const;
export const filesKey = (projectId: string) => ["project", projectId, "files"] as const;
export const fileKey = (projectId: string, path: string) => ["project", projectId, "files", "content", path] as const;
export const changesKey = (projectId: string) => ["project", projectId, "changes"] as const;
export const versionsKey = (projectId: string) => ["project", projectId, "versions"] as const;
export const versionKey = (projectId: string, number: number) => ["project", projectId, "versions", number] as const;
export const balanceKey = () => ["me", "balance"] as const;
export const deploymentsKey = (projectId: string) => ["project", projectId, "deployments"] as const;
export const deploymentStatsKey = () => ["me", "deployment-stats"] as const;
/** Under versionsKey: a new version (invalidating versionsKey) refreshes the Git commit list too. */
export const gitLogKey = (projectId: string) => ["project", projectId, "versions", "git"] as const;
/** Under projectKey: what GET /api/projects/:id says beyond the header's fields (prompt, remembered model). */
export const projectDetailsKey = (projectId: string) => ["project", projectId, "details"] as const;
/** GET /api/models: what the pickers offer. Adding or removing a key or an endpoint invalidates it. */
export const modelsKey = () => ["me", "models"] as const;
export const endpointsKey = () => ["me", "endpoints"] as const;
