import { PageHeader } from "../components/ui";

export function AskPage() {
  return <PageHeader title="AskPage" />;
}
