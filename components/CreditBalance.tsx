interface CreditBalanceProps {
  credits: number;
}

export function CreditBalance({ credits }: CreditBalanceProps) {
  return (
    <section aria-labelledby="credits-title" className="rounded-xl border border-zinc-800 bg-zinc-900/60 p-6">
      <h2 id="credits-title" className="text-sm font-medium text-zinc-400">
        Credit balance
      </h2>
      <p className="mt-2 text-3xl font-bold text-zinc-50">
        <span data-testid="credit-balance">{credits}</span> {credits === 1 ? "credit" : "credits"}
      </p>
      <p className="mt-2 text-xs text-zinc-500">Runs reserve credits up front and refund what they do not use.</p>
    </section>
  );
}
