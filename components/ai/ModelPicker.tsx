"use client";

import { useQuery } from "@tanstack/react-query";
import { useId, type ReactNode } from "react";
import { buttonSecondary, fieldInput, fieldLabel } from "@/components/ui/styles";
import { describePrice, type ModelList } from "@/lib/ai/model-options";
import { apiJson, errorMessage } from "@/lib/client/api";
import { modelsKey } from "@/lib/client/query-keys";
import { displayedModelId, groupByProvider, isUnlisted, modelForRequest, optionText } from "./model-options-view";
import { NoModelNotice } from "./NoModelNotice";

/** GET /api/models, shared by every picker (and by forms that need to know what to send). */
export function useModelList() {
  return useQuery({ queryKey: modelsKey(), queryFn: () => apiJson<ModelList>("/api/models"), staleTime: 30_000 });
}

/** The `model` to send for the picker's `value` (see modelForRequest). */
export function useRequestModel(value: string | null): string | undefined {
  return modelForRequest(useModelList().data, value);
}

interface ModelPickerProps {
  /** The chosen ModelOption id; null = none chosen (the list's default is shown). */
  value: string | null;
  onChange(id: string): void;
  id?: string;
  className?: string;
  /** One line, label beside the select, for the chat's composer. */
  compact?: boolean;
}

/** The model a run or change uses: the models the user may pick, grouped by provider, with their price. */
export function ModelPicker({ value, onChange, id, className, compact = false }: ModelPickerProps) {
  const fallbackId = useId();
  const selectId = id ?? `${fallbackId}-model`;
  const models = useModelList();

  const select = compact
    ? "block w-full min-w-0 rounded-md border border-zinc-700 bg-zinc-900 px-2 py-1 text-xs text-zinc-100 disabled:opacity-60"
    : `${fieldInput} disabled:opacity-60`;
  const label = (
    <label htmlFor={selectId} className={compact ? "shrink-0 text-xs font-medium text-zinc-400" : fieldLabel}>
      Model
    </label>
  );
  const wrap = (body: ReactNode, after?: ReactNode) => (
    <div className={className} data-testid="model-picker">
      <div className={compact ? "flex items-center gap-2" : undefined}>
        {label}
        {body}
      </div>
      {after}
    </div>
  );
  const note = "mt-1 text-xs";

  if (models.isPending) {
    return wrap(
      <select id={selectId} disabled className={select}>
        <option>Loading models…</option>
      </select>,
    );
  }

  if (models.isError) {
    return wrap(
      <select id={selectId} disabled className={select}>
        <option>Models could not be loaded</option>
      </select>,
      <p role="alert" className={`${note} text-red-400`}>
        Could not load the models: {errorMessage(models.error)}{" "}
        <button type="button" onClick={() => void models.refetch()} className={`${buttonSecondary} ml-1 px-2 py-0.5 text-xs`}>
          Retry
        </button>
      </p>,
    );
  }

  const list = models.data;
  const shown = displayedModelId(list, value);
  if (shown === null) {
    // The one place that says where to add a model: the estimates beside the picker say nothing more.
    return wrap(
      <select id={selectId} disabled className={select}>
        <option>No model available</option>
      </select>,
      <div className="mt-2">
        <NoModelNotice />
      </div>,
    );
  }

  const selected = list.models.find((m) => m.id === shown);
  return wrap(
    <select id={selectId} value={shown} onChange={(e) => onChange(e.target.value)} className={select}>
      {groupByProvider(list.models).map((group) => (
        <optgroup key={group.providerLabel} label={group.providerLabel}>
          {group.options.map((option) => (
            <option key={option.id} value={option.id}>
              {optionText(option)}
            </option>
          ))}
        </optgroup>
      ))}
    </select>,
    <>
      {selected && !compact && <p className={`${note} text-zinc-500`}>Price: {describePrice(selected)}</p>}
      {isUnlisted(list, value) && (
        <p className={`${note} text-amber-300`}>The model chosen before is no longer available; this one is used instead.</p>
      )}
    </>,
  );
}
