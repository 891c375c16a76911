import { requireUser } from "@/lib/auth";
import { route } from "@/lib/http/errors";
import { projectForExport } from "@/lib/workspace/files";
import { attachmentDisposition, projectZipEntries, zipStream } from "@/lib/zip";

interface Context {
  params: Promise<{ id: string }>;
}

/** The current files as a ZIP, under one folder named after the project, streamed entry by entry. */
export const GET = route<Context>(async (request, { params }) => {
  const user = await requireUser(request);
  const { id } = await params;
  const { project, files } = await projectForExport(user.id, id);
  return new Response(zipStream(projectZipEntries(project.name, files)), {
    headers: {
      "Content-Type": "application/zip",
      "Content-Disposition": attachmentDisposition(project.name),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
});
