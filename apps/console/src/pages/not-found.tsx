import { Empty, useTitle } from "../components/ui";
import { Link } from "../router";

export function NotFound() {
  useTitle("Not found");
  return (
    <Empty title="There is no page here.">
      <Link to="/">Go to the fleet</Link>
    </Empty>
  );
}
