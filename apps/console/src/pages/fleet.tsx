import { PageHeader } from "../components/ui";

export function FleetPage() {
  return <PageHeader title="FleetPage" />;
}
