"use client";

import { useRef } from "react";

interface SplitterProps {
  label: string;
  orientation: "vertical" | "horizontal";
  value: number;
  min: number;
  max: number;
  onChange(value: number): void;
  /** +1 when dragging right/down grows the panel, -1 when it shrinks it. */
  direction?: 1 | -1;
}

/** A draggable, keyboard-operable divider (WAI-ARIA window splitter) that resizes one panel in pixels. */
export function Splitter({ label, orientation, value, min, max, onChange, direction = 1 }: SplitterProps) {
  const start = useRef<{ pointer: number; value: number } | null>(null);
  const clamp = (v: number) => Math.min(max, Math.max(min, Math.round(v)));
  const axis = (e: React.PointerEvent) => (orientation === "vertical" ? e.clientX : e.clientY);

  return (
    <div
      role="separator"
      aria-label={label}
      aria-orientation={orientation}
      aria-valuenow={value}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        start.current = { pointer: axis(e), value };
      }}
      onPointerMove={(e) => {
        if (!start.current) return;
        onChange(clamp(start.current.value + direction * (axis(e) - start.current.pointer)));
      }}
      onPointerUp={() => {
        start.current = null;
      }}
      onKeyDown={(e) => {
        const grow = orientation === "vertical" ? { ArrowRight: 1, ArrowLeft: -1 } : { ArrowDown: 1, ArrowUp: -1 };
        const step = grow[e.key as keyof typeof grow];
        if (step === undefined) return;
        e.preventDefault();
        onChange(clamp(value + direction * step * 16));
      }}
      className={`shrink-0 bg-zinc-800 transition-colors hover:bg-brand-600 focus-visible:bg-brand-500 ${
        orientation === "vertical" ? "w-1 cursor-col-resize" : "h-1 cursor-row-resize"
      }`}
    />
  );
}
