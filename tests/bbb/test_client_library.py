"""An independent BigBlueButton client (PyPI's bigbluebutton_api_python) drives Parley."""

from __future__ import annotations

import warnings

import httpx
import pytest

with warnings.catch_warnings():
    # The library's source has escape sequences Python 3.12 warns about; not ours to fix.
    warnings.simplefilter("ignore", SyntaxWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    from bigbluebutton_api_python import BigBlueButton
    from bigbluebutton_api_python.exception import BBBException

from tests.bbb.helpers import Api, new_id
from tests.meetings.client import Participant


def _follow(url: str) -> tuple[str, str]:
    """Follow a join URL as a browser would; the room's page path and the join cookie."""
    with httpx.Client(timeout=10) as browser:
        first = browser.get(url)
        assert first.status_code == 302, first.text
        enter = browser.get(first.headers["location"])
        assert enter.status_code == 303, enter.text
        page = browser.get(httpx.URL(url).join(enter.headers["location"]))
        assert page.status_code == 200
        return enter.headers["location"], browser.cookies["parley_join"]


def test_create_join_info_end(api: Api) -> None:
    bbb = BigBlueButton(f"{api.server.url}/bigbluebutton/api/", api.secret)
    meeting_id = new_id()
    created = bbb.create_meeting(
        meeting_id,
        params={"name": "Chemistry 2", "attendeePW": "ap", "moderatorPW": "mp"},
        meta={"origin": "lms"},
    )
    assert created.get_field("returncode") == "SUCCESS"
    assert bbb.is_meeting_running(meeting_id).get_field("running") == "false"

    # The join URL (redirect by default) leads into the meeting page; the socket gets in.
    url = bbb.get_join_meeting_url("Marie Curie", meeting_id, "mp", params={"userID": "u-42"})
    path, token = _follow(url)
    slug = path.removeprefix("/r/")
    marie = Participant(api.server, token, slug).open()
    try:
        assert marie.welcome["you"]["name"] == "Marie Curie"
        assert marie.welcome["you"]["role"] == "moderator"
        viewer_url = bbb.get_join_meeting_url("Pierre", meeting_id, "ap")
        _, viewer_token = _follow(viewer_url)
        pierre = Participant(api.server, viewer_token, slug).open()
        marie.expect("joined", name="Pierre")

        info = bbb.get_meeting_info(meeting_id)
        assert info.get_field("meetingName") == "Chemistry 2"
        assert info.get_field("participantCount") == "2"
        assert info.get_field("moderatorCount") == "1"
        assert info.get_field("metadata")["origin"] == "lms"
        people = {a.get_fullname(): a for a in info.get_attendees()}
        assert people["Marie Curie"].get_role() == "MODERATOR"
        assert people["Marie Curie"].get_userid() == "u-42"
        assert people["Pierre"].get_role() == "VIEWER"
        assert bbb.is_meeting_running(meeting_id).get_field("running") == "true"
        listed = bbb.get_meetings().get_field("meetings")["meeting"]
        assert listed["meetingID"] == meeting_id

        ended = bbb.end_meeting(meeting_id, "mp")
        assert ended.get_field("messageKey") == "sentEndMeetingRequest"
        # Everyone in the meeting is told it ended, as with a moderator's "end for all".
        pierre.expect("closed")
        pierre.close()
    finally:
        marie.close()
    with pytest.raises(BBBException) as refused:
        bbb.get_meeting_info(meeting_id)
    assert refused.value.key == "notFound"
    assert bbb.is_meeting_running(meeting_id).get_field("running") == "false"
