"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import { useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { EditorArea } from "@/components/editor/EditorArea";
import { VersionsPanel } from "@/components/versions/VersionsPanel";
import { useFixRequest } from "@/lib/client/fix-request";
import { useWorkspace } from "@/lib/client/workspace-store";
import type { ProjectStatus } from "@/lib/store/types";
import { FileTree } from "./FileTree";
import { PanelLoading } from "./PanelStates";
import { PanelTabs } from "./PanelTabs";
import { Splitter } from "./Splitter";
import { WorkspaceHeader } from "./WorkspaceHeader";

// Panels owned by other parts of the app, each loaded on first show.
const RunPanel = dynamic(() => import("@/components/run/RunPanel"), {
  ssr: false,
  loading: () => <PanelLoading label="Run" />,
});
const ProjectChat = dynamic(() => import("@/components/chat/ProjectChat"), {
  ssr: false,
  loading: () => <PanelLoading label="chat" />,
});
const AiPanel = dynamic(() => import("@/components/ai/AiPanel"), {
  ssr: false,
  loading: () => <PanelLoading label="AI actions" />,
});
const TerminalPanel = dynamic(() => import("@/components/terminal/TerminalPanel"), {
  ssr: false,
  loading: () => <PanelLoading label="terminal" />,
});
const PreviewPanel = dynamic(() => import("@/components/preview/PreviewPanel"), {
  ssr: false,
  loading: () => <PanelLoading label="preview" />,
});
const DeployPanel = dynamic(() => import("@/components/deploy/DeployPanel"), {
  ssr: false,
  loading: () => <PanelLoading label="deployments" />,
});
const GitPanel = dynamic(() => import("@/components/git/GitPanel"), {
  ssr: false,
  loading: () => <PanelLoading label="Git" />,
});
// Monaco's diff editor: only when a version is opened.
const VersionDiff = dynamic(() => import("@/components/versions/VersionDiff"), {
  ssr: false,
  loading: () => <PanelLoading label="diff" />,
});

export interface WorkspaceProject {
  id: string;
  name: string;
  description?: string;
  status: ProjectStatus;
}

export default function Workspace({ project, initialBalance }: { project: WorkspaceProject; initialBalance: number }) {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { staleTime: 5_000, retry: 1, refetchOnWindowFocus: false } } }),
  );
  const reset = useWorkspace((s) => s.reset);
  const ready = useWorkspace((s) => s.projectId === project.id);
  useEffect(() => reset(project.id), [reset, project.id]);

  return (
    <QueryClientProvider client={queryClient}>
      {/* Fixed below the site header (h-16 + border), over the footer: the workspace owns the viewport and never scrolls the page. */}
      <div
        className="fixed inset-x-0 top-[calc(4rem+1px)] bottom-0 z-10 flex flex-col bg-zinc-950"
        data-testid="workspace"
      >
        <WorkspaceHeader project={project} initialBalance={initialBalance} />
        {ready ? <WorkspaceBody projectId={project.id} status={project.status} /> : <PanelLoading label="workspace" />}
      </div>
    </QueryClientProvider>
  );
}

function WorkspaceBody({ projectId, status }: { projectId: string; status: ProjectStatus }) {
  // A run named in the URL (a generation just started) or a project with nothing generated yet opens on Run; else on the chat.
  const searchParams = useSearchParams();
  const [assistantTab] = useState(() => (searchParams.get("run") || status === "pending" ? "run" : "chat"));
  const panelRequest = useWorkspace((s) => s.panelRequest);
  // "Ask for a fix" anywhere brings the chat forward, where the request waits in the message box.
  useEffect(
    () =>
      useFixRequest.subscribe((state, previous) => {
        if (state.request !== previous.request) useWorkspace.getState().showPanel("chat");
      }),
    [],
  );
  const [leftWidth, setLeftWidth] = useState(256);
  const [rightWidth, setRightWidth] = useState(384);
  const [bottomHeight, setBottomHeight] = useState(240);
  /** The centre shows the editor, or the diff of one version against the current files. */
  const [diffVersion, setDiffVersion] = useState<number | null>(null);
  const showEditor = () => setDiffVersion(null);

  return (
    <div className="flex min-h-0 flex-1">
      <aside
        aria-label="Project files and versions"
        style={{ width: leftWidth }}
        className="flex min-w-0 shrink-0 flex-col"
      >
        <PanelTabs
          label="Project"
          className="h-full"
          tabs={[
            { id: "files", label: "Files", render: () => <FileTree projectId={projectId} onOpenFile={showEditor} /> },
            {
              id: "versions",
              label: "Versions",
              render: () => <VersionsPanel projectId={projectId} selected={diffVersion} onSelect={setDiffVersion} />,
            },
          ]}
        />
      </aside>
      <Splitter
        label="Resize file panel"
        orientation="vertical"
        value={leftWidth}
        min={180}
        max={480}
        onChange={setLeftWidth}
      />

      <div className="flex min-w-0 flex-1 flex-col">
        <section aria-label={diffVersion === null ? "Editor" : "Version diff"} className="flex min-h-0 flex-1 flex-col">
          {diffVersion === null ? (
            <EditorArea projectId={projectId} />
          ) : (
            <VersionDiff projectId={projectId} number={diffVersion} onClose={showEditor} onRestored={showEditor} />
          )}
        </section>
        <Splitter
          label="Resize terminal panel"
          orientation="horizontal"
          value={bottomHeight}
          min={120}
          max={600}
          direction={-1}
          onChange={setBottomHeight}
        />
        <div style={{ height: bottomHeight }} className="flex shrink-0 flex-col">
          <PanelTabs
            label="Terminal and preview"
            className="h-full"
            tabs={[
              { id: "terminal", label: "Terminal", render: () => <TerminalPanel projectId={projectId} /> },
              { id: "preview", label: "Preview", render: () => <PreviewPanel projectId={projectId} /> },
            ]}
          />
        </div>
      </div>

      <Splitter
        label="Resize run panel"
        orientation="vertical"
        value={rightWidth}
        min={280}
        max={640}
        direction={-1}
        onChange={setRightWidth}
      />
      <aside aria-label="Chat, runs and AI" style={{ width: rightWidth }} className="flex min-w-0 shrink-0 flex-col">
        <PanelTabs
          label="Assistant"
          className="h-full"
          initial={assistantTab}
          request={panelRequest}
          tabs={[
            { id: "chat", label: "Chat", render: () => <ProjectChat projectId={projectId} /> },
            { id: "run", label: "Run", render: () => <RunPanel projectId={projectId} /> },
            { id: "ai", label: "AI", render: () => <AiPanel projectId={projectId} /> },
            { id: "deploy", label: "Deploy", render: () => <DeployPanel projectId={projectId} /> },
            { id: "git", label: "Git", render: () => <GitPanel projectId={projectId} /> },
          ]}
        />
      </aside>
    </div>
  );
}
