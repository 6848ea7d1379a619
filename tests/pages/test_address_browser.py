"""On /donner (headless Chromium, phone-sized): a demo address typed with an abbreviation and without accents is
found by the autocomplete, chosen, and a pickup is booked at its position; an address typed without choosing a
suggestion is looked up by the server, and a bad one gets a French reason."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.pages.conftest import screenshot
from tests.pages.conftest import wait_for
from tests.pages.test_browser import _session

pytestmark = pytest.mark.slow


def _day() -> dt.date:
    from dispatch.workdays import next_collection_day

    day = next_collection_day(next_collection_day(dt.date.today() + dt.timedelta(days=1)))
    while day == dt.date(2026, 12, 1):  # the demo's pickups fill that day's home-pickup capacity
        day = next_collection_day(day)
    return day


def _fill(driver, name: str, *, address: str | None = None) -> None:
    from selenium.webdriver.common.by import By

    form = driver.find_element(By.ID, "pickup")
    fields = [("donor_name", name), ("phone", "06 39 98 12 34"), ("volume_m3", "3"), ("floor", "1")]
    if address is not None:
        fields.insert(0, ("address", address))
    for field, value in fields:
        el = form.find_element(By.NAME, field)
        el.clear()
        el.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "input[name='categories'][value='books']").click()
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', "
                          "{bubbles: true}))", form.find_element(By.NAME, "date"), _day().isoformat())


def test_autocomplete_finds_an_abbreviated_address_and_books_a_pickup(live_server, phone) -> None:
    from selenium.webdriver.common.by import By

    from dispatch.models import PickupRequest, PickupStatus

    phone.get(f"{live_server.url}/donner")
    field = phone.find_element(By.ID, "address")
    field.send_keys("296 r des pyrenees")  # "r" for "rue", no accent
    option = wait_for(phone, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "#address-suggestions button")
                                     if "296 Rue des Pyrénées 75020 Paris" in b.text])[0]
    screenshot(phone, "donor-address-suggestions")
    option.click()
    form = phone.find_element(By.ID, "pickup")
    assert form.find_element(By.NAME, "address").get_attribute("value") == "296 Rue des Pyrénées 75020 Paris"
    assert form.find_element(By.NAME, "postcode").get_attribute("value") == "75020"
    assert form.find_element(By.NAME, "lat").get_attribute("value") == "48.871953"
    _fill(phone, "Léa Autocomplète")
    wait_for(phone, lambda d: "respecte nos règles" in d.find_element(By.ID, "live").text)
    form.find_element(By.CSS_SELECTOR, "button[type='submit']").click()
    result = wait_for(phone, lambda d: d.find_elements(By.ID, "result"))[0]
    assert result.get_attribute("data-accepted") == "true", result.text
    screenshot(phone, "donor-address-booked")
    with _session(live_server) as s:
        pickup = s.scalars(select(PickupRequest).where(PickupRequest.donor_name == "Léa Autocomplète")).one()
        assert pickup.status is PickupStatus.ACCEPTED
        assert (pickup.address, pickup.postcode) == ("296 Rue des Pyrénées 75020 Paris", "75020")
        assert (round(pickup.lat, 6), round(pickup.lon, 6)) == (48.871953, 2.392303)


def test_an_address_typed_without_a_choice_is_looked_up(live_server, phone) -> None:
    from selenium.webdriver.common.by import By

    from dispatch.models import PickupRequest

    phone.get(f"{live_server.url}/donner")
    _fill(phone, "Paul Sans-Choix", address="6 r archereau")
    phone.find_element(By.CSS_SELECTOR, "#pickup button[type='submit']").click()
    result = wait_for(phone, lambda d: d.find_elements(By.ID, "result"))[0]
    assert result.get_attribute("data-accepted") == "true", result.text
    phone.get(f"{live_server.url}/donner")
    _fill(phone, "Zoé Lyonnaise", address="12 rue de la République 69002 Lyon")
    phone.find_element(By.CSS_SELECTOR, "#pickup button[type='submit']").click()
    errors = wait_for(phone, lambda d: d.find_elements(By.ID, "errors"))[0]
    assert "69002 est en dehors de la zone desservie" in errors.text
    screenshot(phone, "donor-address-refused")
    with _session(live_server) as s:
        names = set(s.scalars(select(PickupRequest.donor_name)).all())
        assert "Paul Sans-Choix" in names and "Zoé Lyonnaise" not in names


def test_choosing_a_street_asks_for_the_number(live_server, phone) -> None:
    from selenium.webdriver.common.by import By

    phone.get(f"{live_server.url}/donner")
    field = phone.find_element(By.ID, "address")
    field.send_keys("r de l orillon")
    street = wait_for(phone, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "#address-suggestions button")
                                     if b.text == "Rue de l'Orillon 75011 Paris"])[0]
    street.click()
    assert "Ajoutez le numéro" in phone.find_element(By.ID, "address-found").text
    form = phone.find_element(By.ID, "pickup")
    assert form.find_element(By.NAME, "lat").get_attribute("value") == ""  # no position for a street
    field.send_keys("19 bis")  # typed in front of the street's name
    assert field.get_attribute("value") == "19 bis Rue de l'Orillon 75011 Paris"
    option = wait_for(phone, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "#address-suggestions button")
                                     if b.text == "19 bis Rue de l'Orillon 75011 Paris"])[0]
    option.click()
    assert form.find_element(By.NAME, "lat").get_attribute("value") != ""
    assert "19 bis Rue de l'Orillon" in phone.find_element(By.ID, "address-found").text


def test_geolocation_fills_the_nearest_address(live_server, phone) -> None:
    from selenium.webdriver.common.by import By

    phone.get(f"{live_server.url}/donner")
    phone.execute_cdp_cmd("Browser.grantPermissions", {"origin": live_server.url, "permissions": ["geolocation"]})
    phone.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": 48.89051, "longitude": 2.37952,
                                                               "accuracy": 10})
    try:
        phone.find_element(By.ID, "geolocate").click()
        form = phone.find_element(By.ID, "pickup")
        wait_for(phone, lambda d: form.find_element(By.NAME, "address").get_attribute("value") == "6 Rue Archereau 75019 Paris")
        assert form.find_element(By.NAME, "postcode").get_attribute("value") == "75019"
        assert form.find_element(By.NAME, "lat").get_attribute("value") == "48.890510"  # the device's position
        assert "vérifiez-la" in phone.find_element(By.ID, "address-found").text
    finally:
        phone.execute_cdp_cmd("Emulation.clearGeolocationOverride", {})
