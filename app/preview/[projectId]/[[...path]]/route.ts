import { getUser } from "@/lib/auth";
import { HttpError, toErrorResponse } from "@/lib/http/errors";
import { PREVIEW_HEADERS, previewPrefix, previewRequestPath, rebaseRootUrls } from "@/lib/preview/plan";
import { readPreviewFile } from "@/lib/preview/service";
import { issuePreviewToken, verifyPreviewToken } from "@/lib/preview/token";
import { findProject } from "@/lib/projects/service";

interface Context {
  params: Promise<{ projectId: string; path?: string[] }>;
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...PREVIEW_HEADERS, "content-type": "text/plain; charset=utf-8" } });
}

const NOT_FOUND = () => plain(404, "Not found.");

/**
 * Serves a project's preview, for the sandboxed iframe in the preview panel:
 * /preview/<projectId>/<token>/<file> (see lib/preview/token for why the
 * token). The owner's cookie-authenticated request without a valid token is
 * redirected to a fresh one; anyone else gets the same 404 as for a missing
 * project.
 */
export async function GET(request: Request, { params }: Context): Promise<Response> {
  try {
    const { projectId, path = [] } = await params;
    const [token, ...rest] = path;
    const tokenUser = token ? verifyPreviewToken(token, projectId) : null;

    if (!tokenUser) {
      const user = await getUser(request);
      const project = user ? await findProject(user.id, projectId) : null;
      if (!user || !project) return NOT_FOUND();
      // An expired or missing token: the same file under a fresh one.
      const relPath = previewRequestPath(rest);
      if (relPath === null) return plain(400, "This path is not allowed in a preview.");
      const fresh = previewPrefix(project.id, issuePreviewToken(user.id, project.id));
      const location = fresh + relPath.split("/").map(encodeURIComponent).join("/");
      return new Response(null, { status: 307, headers: { ...PREVIEW_HEADERS, location } });
    }

    const project = await findProject(tokenUser, projectId);
    if (!project) return NOT_FOUND();
    const relPath = previewRequestPath(rest);
    if (relPath === null) return plain(400, "This path is not allowed in a preview.");
    const file = await readPreviewFile(tokenUser, project.id, relPath);
    if (!file) return plain(404, `${relPath} is not part of this preview.`);
    const isText = file.contentType.startsWith("text/html") || file.contentType.startsWith("text/css");
    const body = isText
      ? rebaseRootUrls(new TextDecoder().decode(file.body), file.contentType, previewPrefix(project.id, token!))
      : (file.body as BodyInit);
    return new Response(body, { status: 200, headers: { ...PREVIEW_HEADERS, "content-type": file.contentType } });
  } catch (err) {
    if (err instanceof HttpError) return plain(err.status, err.message);
    return plain(toErrorResponse(err).status, "The preview could not be served.");
  }
}
