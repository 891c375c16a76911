"use client";

import { useId, useState } from "react";
import { ActionsTab } from "./ActionsTab";
import { ChatTab } from "./ChatTab";

type Tab = "actions" | "chat";

/** The AI assistant: actions on the open file or selection (explain, fix, refactor), and a chat. */
export default function AiPanel({ projectId }: { projectId: string }) {
  const id = useId();
  const [tab, setTab] = useState<Tab>("actions");
  const tabs: { id: Tab; label: string }[] = [
    { id: "actions", label: "Actions" },
    { id: "chat", label: "Chat" },
  ];

  return (
    <section aria-label="AI assistant" className="flex h-full min-h-0 flex-col p-4" data-project-id={projectId}>
      <div role="tablist" aria-label="AI assistant mode" className="mb-3 flex shrink-0 gap-1">
        {tabs.map((t, index) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`${id}-${t.id}-tab`}
            aria-selected={tab === t.id}
            aria-controls={`${id}-${t.id}-panel`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => {
              if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
                const next = tabs[(index + 1) % tabs.length];
                setTab(next.id);
                document.getElementById(`${id}-${next.id}-tab`)?.focus();
              }
            }}
            className={`rounded-md px-3 py-1 text-xs font-semibold ${tab === t.id ? "bg-zinc-800 text-zinc-50" : "text-zinc-400 hover:text-zinc-100"}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      {/* Both stay mounted so an answer or a conversation survives switching tabs. */}
      <div role="tabpanel" id={`${id}-actions-panel`} aria-labelledby={`${id}-actions-tab`} hidden={tab !== "actions"} className="min-h-0 flex-1 overflow-auto">
        <ActionsTab projectId={projectId} />
      </div>
      <div role="tabpanel" id={`${id}-chat-panel`} aria-labelledby={`${id}-chat-tab`} hidden={tab !== "chat"} className="min-h-0 flex-1">
        <ChatTab projectId={projectId} />
      </div>
    </section>
  );
}
