import { PageHeader } from "../components/ui";

export function JoinKeysPage() {
  return <PageHeader title="JoinKeysPage" />;
}
