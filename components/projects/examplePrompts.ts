/** Starting points for the new-project form: clicking one fills the description. */
export const EXAMPLE_PROMPTS: readonly { label: string; prompt: string }[] = [
  {
    label: "Todo app",
    prompt:
      "A todo app: add, edit, complete and delete tasks, each with an optional due date. Filter by all / active / done, show how many are left, and keep the tasks in a small REST API with an in-memory store.",
  },
  {
    label: "Recipe box",
    prompt:
      "A recipe box: save recipes with ingredients and steps, search them by name or ingredient, and plan the week's meals on a 7-day board that builds a shopping list.",
  },
  {
    label: "Habit tracker",
    prompt:
      "A habit tracker: create habits, check them off each day, and see the current streak and a 30-day history grid for each one.",
  },
  {
    label: "Expense splitter",
    prompt:
      "An expense splitter for a group trip: add people and expenses (who paid, how much, shared by whom) and show who owes whom with the fewest payments.",
  },
];
