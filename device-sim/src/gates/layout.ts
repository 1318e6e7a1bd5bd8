/** A name in English and Chinese. */
export interface I18nName {
  en: string;
  'zh-CN': string;
}

/** One door (or gate) and its controller point. */
export interface LayoutDoor {
  id: string;
  name: I18nName;
}

/** A part of the site whose doors lock down together (a block, the yard, the perimeter). */
export interface LayoutArea {
  id: string;
  name: I18nName;
  doors: LayoutDoor[];
}

/** An access card and the areas its holder may enter. */
export interface LayoutCard {
  card: string;
  person: string;
  areas: string[];
}

/** What the gate simulator models: a site's areas, their doors, and the enrolled cards. */
export interface GateLayout {
  site: string;
  name: I18nName;
  areas: LayoutArea[];
  cards: LayoutCard[];
}
