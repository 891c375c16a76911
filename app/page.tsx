import Link from "next/link";
import { buttonPrimary, buttonSecondary, card } from "@/components/ui/styles";
import { getUser } from "@/lib/auth";
import { TRIAL_CREDITS } from "@/lib/store/types";

const ROLES: { name: string; does: string }[] = [
  { name: "Architect", does: "Plans the stack, file tree, data model and API contract." },
  { name: "Backend", does: "Writes the server, routes and data access against the contract." },
  { name: "Frontend", does: "Builds the pages and components, in parallel with the backend." },
  { name: "DevOps", does: "Adds build scripts, configuration and deployment files." },
  { name: "Security", does: "Checks for leaked secrets, unsafe code and missing auth." },
  { name: "Tester", does: "Installs, builds and runs the tests in a sandbox, then fixes failures." },
];

const FEATURES: { title: string; body: string }[] = [
  { title: "Watch it being built", body: "Every role streams its files live, so you see the project take shape as it is written." },
  { title: "Edit in the browser", body: "Open any file in the editor, change it and save; every save is a new version." },
  { title: "Run it in a sandbox", body: "Install, build and test in an isolated sandbox with a real terminal." },
  { title: "Versions and ZIP", body: "Every generation and edit is a version you can restore. Download the project as a ZIP." },
  { title: "Deploy", body: "Ship to Vercel, Netlify or Railway when you are happy with it." },
  {
    title: "Pay for what you use",
    body: `Pay-as-you-go credits with hard spend caps: a run never spends more than you allow. ${TRIAL_CREDITS} free credits when you sign up.`,
  },
];

export default async function LandingPage() {
  const user = await getUser();
  return (
    <div className="mx-auto max-w-6xl px-4 py-16 sm:px-6">
      <section aria-labelledby="hero-title" className="max-w-3xl">
        <p className="text-sm font-semibold tracking-widest text-brand-400 uppercase">AI app builder</p>
        <h1 id="hero-title" className="mt-3 text-4xl font-bold tracking-tight text-zinc-50 sm:text-5xl">
          Describe an app. Get a working, multi-file project.
        </h1>
        <p className="mt-6 text-lg text-zinc-300">
          Tell AUTOCREA what you want in a chat. A team of AI roles — architect, backend, frontend, devops, security
          and tester — builds the project live in front of you. Edit it in the browser, run it in a sandbox, keep
          every version, download a ZIP or deploy it.
        </p>
        <div className="mt-8 flex flex-wrap gap-3">
          {user ? (
            <Link href="/dashboard" className={buttonPrimary}>
              Open dashboard
            </Link>
          ) : (
            <>
              <Link href="/sign-up" className={buttonPrimary}>
                Get started
              </Link>
              <Link href="/sign-in" className={buttonSecondary}>
                Sign in
              </Link>
            </>
          )}
        </div>
        {!user && (
          <p className="mt-4 text-sm text-zinc-400">{TRIAL_CREDITS} free credits when you sign up. No card needed.</p>
        )}
      </section>

      <section aria-labelledby="roles-title" className="mt-20">
        <h2 id="roles-title" className="text-2xl font-semibold text-zinc-50">
          Six roles, one project
        </h2>
        <ul className="mt-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {ROLES.map((role) => (
            <li key={role.name} className={card}>
              <h3 className="font-semibold text-brand-300">{role.name}</h3>
              <p className="mt-2 text-sm text-zinc-300">{role.does}</p>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="features-title" className="mt-20">
        <h2 id="features-title" className="text-2xl font-semibold text-zinc-50">
          From idea to deployed
        </h2>
        <dl className="mt-6 grid gap-x-8 gap-y-6 sm:grid-cols-2 lg:grid-cols-3">
          {FEATURES.map((f) => (
            <div key={f.title}>
              <dt className="font-semibold text-zinc-100">{f.title}</dt>
              <dd className="mt-1 text-sm text-zinc-400">{f.body}</dd>
            </div>
          ))}
        </dl>
      </section>
    </div>
  );
}
