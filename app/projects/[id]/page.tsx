import type { Metadata } from "next";
import { notFound, redirect } from "next/navigation";
import Workspace from "@/components/workspace/Workspace";
import { getUser } from "@/lib/auth";
import { findProject } from "@/lib/projects/service";
import { getStore } from "@/lib/store";

export const metadata: Metadata = { title: "Workspace" };

// No loading.tsx on this route or above it: notFound() must run before
// streaming starts, or the response would go out as 200 (see Next's loading.js docs).
export default async function ProjectPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await getUser();
  if (!user) redirect("/sign-in");
  const { id } = await params;
  const project = await findProject(user.id, id);
  if (!project) notFound();
  const balance = await (await getStore()).getBalance(user.id);

  return (
    <Workspace
      project={{ id: project.id, name: project.name, description: project.description, status: project.status }}
      initialBalance={balance}
    />
  );
}
