import { openConvexStore } from "../convex/backend";
import { describeStoreContract } from "./store.contract";

describeStoreContract("convex", async () => {
  const { store } = await openConvexStore();
  return { store, close: () => store.close() };
});
