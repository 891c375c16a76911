"use client";

import { buttonSecondary } from "@/components/ui/styles";
import type { RunIssue } from "@/lib/ai/types";
import { buildFixRequest, useFixRequest } from "@/lib/client/fix-request";

/** Why a run or change is not `completed`: each issue with its output, and "Ask for a fix" for all of them. */
export function IssueList({ issues }: { issues: RunIssue[] }) {
  if (issues.length === 0) return null;
  return (
    <>
      <ul className="mt-2 space-y-2">
        {issues.map((issue, index) => (
          <li key={index} data-testid="run-issue">
            <p>{issue.summary}</p>
            {issue.detail && (
              <details className="mt-1">
                <summary className="cursor-pointer text-amber-200/80">Output</summary>
                <pre className="mt-1 max-h-64 overflow-auto whitespace-pre-wrap rounded bg-black/40 p-2 text-xs text-zinc-200">{issue.detail}</pre>
              </details>
            )}
          </li>
        ))}
      </ul>
      <button
        type="button"
        onClick={() => useFixRequest.getState().ask(buildFixRequest(issues))}
        className={`${buttonSecondary} mt-2 px-3 py-1 text-xs`}
      >
        Ask for a fix
      </button>
    </>
  );
}
