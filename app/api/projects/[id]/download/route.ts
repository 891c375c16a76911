import { requireUser } from "@/lib/auth";
import { projectGitDirFiles } from "@/lib/git/repository";
import { route } from "@/lib/http/errors";
import { projectForExport } from "@/lib/workspace/files";
import { attachmentDisposition, projectZipEntries, zipStream } from "@/lib/zip";

export const runtime = "nodejs";

interface Context {
  params: Promise<{ id: string }>;
}

/**
 * The current files as a ZIP, under one folder named after the project,
 * streamed entry by entry, with the version history as a `.git` folder (one
 * commit per version on `main`). A project without versions has no `.git`.
 */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  const { project, files } = await projectForExport(user.id, id);
  const gitDir = await projectGitDirFiles(user.id, project.id);
  return new Response(zipStream(projectZipEntries(project.name, files, gitDir)), {
    headers: {
      "Content-Type": "application/zip",
      "Content-Disposition": attachmentDisposition(project.name),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
});
