import { describePrice, type ModelList, type ModelOption } from "@/lib/ai/model-options";

export interface ProviderGroup {
  providerLabel: string;
  options: ModelOption[];
}

/** The options under their provider, providers in the order the list first names them. */
export function groupByProvider(models: readonly ModelOption[]): ProviderGroup[] {
  const groups = new Map<string, ModelOption[]>();
  for (const option of models) {
    const group = groups.get(option.providerLabel);
    if (group) group.push(option);
    else groups.set(option.providerLabel, [option]);
  }
  return [...groups].map(([providerLabel, options]) => ({ providerLabel, options }));
}

const listed = (list: ModelList, id: string | null): id is string => id !== null && list.models.some((m) => m.id === id);

/**
 * What the picker shows as selected: the chosen model while the list has it; otherwise the list's
 * default (a project may remember a model whose key or endpoint was removed since), else the first.
 */
export function displayedModelId(list: ModelList, value: string | null): string | null {
  if (listed(list, value)) return value;
  if (listed(list, list.defaultId)) return list.defaultId;
  return list.models[0]?.id ?? null;
}

/** True when `value` names a model the list no longer has (the picker then shows another one). */
export function isUnlisted(list: ModelList, value: string | null): boolean {
  return value !== null && !listed(list, value);
}

/**
 * The `model` a request sends: the model the picker shows, so what the user sees is what runs and
 * what the estimate prices (a pick on their own key or endpoint never falls back to paid models,
 * lib/ai/model-choice.ts). While the list is unknown, the choice as it is, or nothing (the server's default).
 */
export function modelForRequest(list: ModelList | undefined, value: string | null): string | undefined {
  if (!list) return value ?? undefined;
  return displayedModelId(list, value) ?? undefined;
}

/** "GPT-6 Luna — your key": an option's text in the picker. */
export function optionText(option: Pick<ModelOption, "label" | "price" | "source">): string {
  return `${option.label} — ${describePrice(option)}`;
}
