import { PageHeader } from "../components/ui";

export function TaskPage({ id }: { id: string }) {
  return <PageHeader title={id} />;
}
