import { PageHeader } from "../components/ui";

export function TasksPage() {
  return <PageHeader title="TasksPage" />;
}
