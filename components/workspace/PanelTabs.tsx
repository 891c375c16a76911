"use client";

import { useId, useRef, useState, type ReactNode } from "react";

export interface PanelTab {
  id: string;
  label: string;
  /** Rendered the first time the tab is shown, then kept mounted (hidden) so panels keep their state. */
  render: () => ReactNode;
}

interface PanelTabsProps {
  label: string;
  tabs: PanelTab[];
  className?: string;
  /** The tab shown first (default the first). */
  initial?: string;
  /** Brings a tab forward when `seq` changes (a request from elsewhere in the workspace). */
  request?: { panel: string; seq: number } | null;
}

/** An accessible tab strip (WAI-ARIA tabs: arrows, Home/End) over lazily mounted panels. */
export function PanelTabs({ label, tabs, className = "", initial, request }: PanelTabsProps) {
  const baseId = useId();
  const first = tabs.some((t) => t.id === initial) ? initial! : tabs[0].id;
  const [active, setActive] = useState(first);
  const [mounted, setMounted] = useState<ReadonlySet<string>>(() => new Set([first]));
  const buttons = useRef(new Map<string, HTMLButtonElement>());

  const select = (id: string, focus = false) => {
    setActive(id);
    setMounted((m) => (m.has(id) ? m : new Set([...m, id])));
    if (focus) buttons.current.get(id)?.focus();
  };

  // A new request (seq) moves the tabs once, during render (React's "adjust state when a prop changes").
  const [seenRequest, setSeenRequest] = useState(request?.seq ?? null);
  if (request && request.seq !== seenRequest) {
    setSeenRequest(request.seq);
    if (tabs.some((t) => t.id === request.panel)) {
      setActive(request.panel);
      setMounted((m) => (m.has(request.panel) ? m : new Set([...m, request.panel])));
    }
  }

  const onKeyDown = (event: React.KeyboardEvent, index: number) => {
    const last = tabs.length - 1;
    const target =
      event.key === "ArrowRight"
        ? index === last
          ? 0
          : index + 1
        : event.key === "ArrowLeft"
          ? index === 0
            ? last
            : index - 1
          : event.key === "Home"
            ? 0
            : event.key === "End"
              ? last
              : null;
    if (target === null) return;
    event.preventDefault();
    select(tabs[target].id, true);
  };

  return (
    <div className={`flex min-h-0 min-w-0 flex-col ${className}`}>
      <div role="tablist" aria-label={label} className="flex shrink-0 gap-1 border-b border-zinc-800 px-2">
        {tabs.map((tab, index) => (
          <button
            key={tab.id}
            ref={(el) => {
              if (el) buttons.current.set(tab.id, el);
              else buttons.current.delete(tab.id);
            }}
            type="button"
            role="tab"
            id={`${baseId}-tab-${tab.id}`}
            aria-selected={active === tab.id}
            aria-controls={`${baseId}-panel-${tab.id}`}
            tabIndex={active === tab.id ? 0 : -1}
            onClick={() => select(tab.id)}
            onKeyDown={(e) => onKeyDown(e, index)}
            className={`-mb-px border-b-2 px-3 py-2 text-xs font-semibold tracking-wide uppercase transition-colors ${
              active === tab.id
                ? "border-brand-400 text-zinc-50"
                : "border-transparent text-zinc-400 hover:text-zinc-200"
            }`}
          >
            {tab.label}
          </button>
        ))}
      </div>
      {tabs.map((tab) => (
        <div
          key={tab.id}
          role="tabpanel"
          id={`${baseId}-panel-${tab.id}`}
          aria-labelledby={`${baseId}-tab-${tab.id}`}
          hidden={active !== tab.id}
          className="min-h-0 flex-1 overflow-auto"
        >
          {mounted.has(tab.id) ? tab.render() : null}
        </div>
      ))}
    </div>
  );
}
